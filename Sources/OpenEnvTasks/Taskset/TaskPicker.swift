import OpenEnvCore

/// Chooses an environment's task at reset, from the reset's options, and maps it onto
/// the environment's task type.
///
/// Options read (all optional): `split` (a string; default ``defaultSplit``) and `index`
/// (an integer, Python semantics). Without an index, a reset `seed` picks position 0 of
/// the split shuffled with that seed (``TaskSelection/seeded(seed:episode:)``; add
/// `episode` to walk the shuffled order); without either, a random task.
/// `reset(split: "test", index: 12)` from the official client arrives exactly so.
public struct TaskPicker<Task: Decodable & Sendable>: Sendable {
    public let taskset: Taskset
    public let mapping: FieldMapping
    public let defaultSplit: String

    public init(taskset: Taskset, mapping: FieldMapping = .identity, defaultSplit: String) {
        self.taskset = taskset
        self.mapping = mapping
        self.defaultSplit = defaultSplit
    }

    /// A chosen task: where it is in the taskset, its row, and the mapped task.
    public struct Pick: Sendable {
        public var split: String
        public var index: Int
        public var row: JSONObject
        public var task: Task
    }

    /// Throws ``ValidationFailure`` for options of the wrong type, ``TasksetError`` for an
    /// unknown split or a row that does not map, ``TaskIndexError`` for an index out of range.
    public func pick(seed: Int?, options: JSONObject) throws -> Pick {
        var splitName = defaultSplit
        if let value = options["split"], !value.isNull {
            guard let name = value.stringValue else {
                throw ValidationFailure([ValidationIssue(type: "string_type", loc: ["split"], msg: "Input should be a valid string", input: value)])
            }
            splitName = name
        }
        var selection: TaskSelection?
        if let value = options["index"], !value.isNull {
            guard value.boolValue == nil, let index = value.intValue ?? value.stringValue.flatMap({ Int($0) }) else {
                throw ValidationFailure([ValidationIssue(type: "int_type", loc: ["index"], msg: "Input should be a valid integer", input: value)])
            }
            selection = .index(index)
        } else if let seed {
            selection = .seeded(seed: seed, episode: options["episode"]?.intValue ?? 0)
        }
        let split = try taskset.split(splitName)
        let position: Int
        if let selection {
            position = try split.position(of: selection)
        } else {
            guard split.count > 0 else { throw TaskIndexError(split: splitName, index: 0, count: 0) }
            position = Int.random(in: 0..<split.count)
        }
        let row = split.rows[position]
        return Pick(split: splitName, index: position, row: row, task: try mapping.decode(Task.self, from: row, split: splitName, index: position))
    }
}
