/// One step from a value's container to the value, when a leaf column's path is mapped
/// onto JSON: into an object's member, or into an array's element.
enum JSONStep: Sendable, Equatable {
    case member(String)
    case element
}

/// One schema node on a leaf column's path, with the levels at which it is defined and
/// repeated, and the JSON steps it stands for.
struct PathNode: Sendable {
    var repetition: Repetition
    /// The definition level from which this node is present.
    var definitionLevel: Int
    /// The repetition level of this node (counting repeated nodes down to it).
    var repetitionLevel: Int
    /// `[.member(name)]` for a struct field, `[.element]` for the repeated node of a list,
    /// `[.member(name), .element]` for an unannotated repeated field, `[]` for the element
    /// node of a three-level list (its value is the element).
    var steps: [JSONStep]
}

/// A leaf column of a Parquet schema: where its values go in a record and how they read.
struct ColumnDescriptor: Sendable {
    var path: [String]
    var element: SchemaElement
    var nodes: [PathNode]
    var maxDefinitionLevel: Int { nodes.last?.definitionLevel ?? 0 }
    var maxRepetitionLevel: Int { nodes.last?.repetitionLevel ?? 0 }
    var physicalType: ParquetPhysicalType { element.type ?? .byteArray }
    var dottedPath: String { path.joined(separator: ".") }

    /// The leaf columns of a footer schema, in schema order, with the list conventions of
    /// the Parquet format (standard three-level lists, the legacy two-level forms, maps as
    /// lists of `{key, value}`) mapped onto JSON arrays and objects.
    static func columns(of schema: [SchemaElement]) throws(ParquetError) -> [ColumnDescriptor] {
        var builder = Builder(schema: schema)
        let root = schema[0]
        var next = 1
        for _ in 0..<root.numChildren {
            try builder.walk(&next, context: .structure, path: [], nodes: [], definition: 0, repetition: 0)
        }
        guard next == schema.count else { throw .corrupt("schema has \(schema.count) elements, the tree uses \(next)") }
        return builder.columns
    }

    private enum Context {
        /// Children are members of an object.
        case structure
        /// The child is the repeated node of a LIST (or MAP) group named `name`.
        case list(name: String, forceStructElements: Bool)
        /// The child is the element of a three-level list.
        case element
    }

    private struct Builder {
        let schema: [SchemaElement]
        var columns: [ColumnDescriptor] = []

        mutating func walk(
            _ index: inout Int, context: Context, path: [String], nodes: [PathNode], definition: Int, repetition: Int
        ) throws(ParquetError) {
            guard index < schema.count else { throw .corrupt("schema tree is longer than the schema") }
            let element = schema[index]
            index += 1
            let definition = definition + (element.repetition == .required ? 0 : 1)
            let repetition = repetition + (element.repetition == .repeated ? 1 : 0)
            let path = path + [element.name]
            let isGroup = element.type == nil
            var steps: [JSONStep]
            var childContext = Context.structure
            switch context {
            case .structure:
                steps = element.repetition == .repeated ? [.member(element.name), .element] : [.member(element.name)]
            case .list(let listName, let forceStructElements):
                guard element.repetition == .repeated else {
                    throw .unsupported("list '\(path.dropLast().joined(separator: "."))' whose child is not repeated")
                }
                steps = [.element]
                if isGroup {
                    let legacy = element.numChildren != 1 || element.name == "array" || element.name == listName + "_tuple"
                    childContext = legacy || forceStructElements ? .structure : .element
                }
            case .element:
                steps = []
            }
            if isGroup, Self.isList(element) || Self.isMap(element) {
                guard element.repetition != .repeated else { throw .unsupported("repeated list group '\(path.joined(separator: "."))'") }
                childContext = .list(name: element.name, forceStructElements: Self.isMap(element))
            }
            let node = PathNode(repetition: element.repetition, definitionLevel: definition, repetitionLevel: repetition, steps: steps)
            let nodes = nodes + [node]
            if isGroup {
                if case .list = childContext, element.numChildren != 1 {
                    throw .corrupt("list group '\(path.joined(separator: "."))' has \(element.numChildren) children")
                }
                for _ in 0..<element.numChildren {
                    try walk(&index, context: childContext, path: path, nodes: nodes, definition: definition, repetition: repetition)
                }
            } else {
                columns.append(ColumnDescriptor(path: path, element: element, nodes: nodes))
            }
        }

        static func isList(_ e: SchemaElement) -> Bool { e.convertedType == 3 || e.logicalType?.fields[3] != nil }
        static func isMap(_ e: SchemaElement) -> Bool {
            e.convertedType == 1 || e.convertedType == 2 || e.logicalType?.fields[2] != nil
        }
    }
}
