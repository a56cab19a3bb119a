import OpenEnvCore

/// Rebuilds records from column chunks (the inverse of Dremel's striping, restricted to
/// JSON): each column writes its values into the records along its path, and the
/// columns under one repeated node fill the same array elements, so lists of structs
/// come out as arrays of objects.
struct RecordAssembler {
    private let records: [AssemblyNode]
    private var generation = 0

    init(rowCount: Int) {
        records = (0..<rowCount).map { _ in AssemblyNode.object() }
    }

    mutating func add(_ data: ColumnChunkData, _ descriptor: ColumnDescriptor) throws(ParquetError) {
        generation += 1
        let nodes = descriptor.nodes
        let maxDefinition = descriptor.maxDefinitionLevel
        var record = -1
        var valueIndex = 0
        for slot in 0..<data.slotCount {
            let r = data.repetitionLevels?[slot] ?? 0
            let d = data.definitionLevels?[slot] ?? maxDefinition
            if r == 0 {
                record += 1
                guard record < records.count else { throw .corrupt("more records than the row group's \(records.count) rows") }
            }
            guard record >= 0 else { throw .corrupt("the first value continues a previous record") }
            var current = records[record]
            for (i, node) in nodes.enumerated() {
                if d < node.definitionLevel {
                    let target: AssemblyNode
                    if case .member(let name)? = node.steps.first { target = current.member(name) } else { target = current }
                    if node.repetition == .repeated { target.makeArray() } else { target.setValue(.null) }
                    break
                }
                for step in node.steps {
                    switch step {
                    case .member(let name): current = current.member(name)
                    case .element: current = try current.element(appending: node.repetitionLevel >= r, generation: generation)
                    }
                }
                if i == nodes.count - 1 {
                    guard valueIndex < data.values.count else { throw .corrupt("fewer values than defined slots") }
                    current.setValue(data.values[valueIndex])
                    valueIndex += 1
                }
            }
        }
        guard record + 1 == records.count else { throw .corrupt("\(record + 1) records, the row group has \(records.count) rows") }
    }

    var rows: [JSONObject] { records.map { $0.json.objectValue ?? [:] } }
}

/// A value under construction during record assembly.
final class AssemblyNode {
    private enum Kind { case empty, value, object, array }
    private var kind = Kind.empty
    private var value = JSONValue.null
    private var keys: [String] = []
    private var members: [String: AssemblyNode] = [:]
    private var elements: [AssemblyNode] = []
    /// The element the column being added last wrote into, and which column that was.
    private var cursor = -1
    private var generation = -1

    static func object() -> AssemblyNode {
        let node = AssemblyNode()
        node.kind = .object
        return node
    }

    /// The member `name` of this object (made an object if it was empty).
    func member(_ name: String) -> AssemblyNode {
        if kind == .empty { kind = .object }
        if let existing = members[name] { return existing }
        let node = AssemblyNode()
        keys.append(name)
        members[name] = node
        return node
    }

    /// A new element (or, for a later column, the next existing one) or the current one.
    func element(appending: Bool, generation: Int) throws(ParquetError) -> AssemblyNode {
        makeArray()
        if self.generation != generation {
            self.generation = generation
            cursor = -1
        }
        if appending {
            cursor += 1
            if cursor == elements.count { elements.append(AssemblyNode()) }
        }
        guard cursor >= 0, cursor < elements.count else { throw .corrupt("a value continues a list that has no element") }
        return elements[cursor]
    }

    func makeArray() {
        if kind == .empty { kind = .array }
    }

    func setValue(_ value: JSONValue) {
        kind = .value
        self.value = value
    }

    var json: JSONValue {
        switch kind {
        case .empty: return .null
        case .value: return value
        case .array: return .array(elements.map(\.json))
        case .object:
            var object = JSONObject()
            for key in keys { object[key] = members[key]!.json }
            return .object(object)
        }
    }
}
