/// An environment whose tasks can be discovered through the openenv 0.10 Task API (spec §1.13):
/// `GET /{env_name}/splits`, `POST /{env_name}/tasks`, `/num_tasks`, `/task`, `/task_range`.
///
/// The server calls these methods on a **fresh instance** made by the factory for each
/// request and closes it afterwards (as the reference does), never on a session's
/// instance: they must be side-effect free and must not need `reset` first. They are
/// trainer-side discovery only and never reachable as agent tools.
///
/// Selecting a task is not part of this protocol: clients pass the chosen split and index
/// as reset options (`reset(split: "test", index: 12)` arrives in `options` as `"split"`
/// and `"index"`), which the environment's `reset` must honour.
///
/// Errors: a ``TaskIndexError`` becomes `400 {"detail":"Invalid task index"}`; any other
/// thrown error a `500` carrying its description (an unknown split, for instance).
public protocol TaskProviding: Actor {
    /// The splits, each a split name (`"train"`; the server turns it into
    /// `{"name":"train","type":"train"}`, names other than `train`, `validation` and
    /// `test` getting type `validation`) or an object passed through unchanged.
    func listSplits() async throws -> [JSONValue]

    /// How many tasks `split` holds.
    func numTasks(split: String) async throws -> Int

    /// The task at `index` of `split`, with Python index semantics: `-1` is the last task;
    /// an index outside `-count..<count` throws ``TaskIndexError``.
    func task(split: String, index: Int) async throws -> JSONValue

    /// Every task of `split`. The default asks ``taskRange(split:start:stop:)`` for the
    /// whole split.
    func listTasks(split: String) async throws -> [JSONValue]

    /// The tasks of the Python slice `split[start:stop]` (`nil` bounds are open, negative
    /// ones count from the end, bounds past the end are clamped: never an error). The
    /// default reads ``numTasks(split:)`` and then each task with ``task(split:index:)``.
    func taskRange(split: String, start: Int?, stop: Int?) async throws -> [JSONValue]
}

extension TaskProviding {
    public func listTasks(split: String) async throws -> [JSONValue] {
        try await taskRange(split: split, start: nil, stop: nil)
    }

    public func taskRange(split: String, start: Int?, stop: Int?) async throws -> [JSONValue] {
        let count = try await numTasks(split: split)
        var tasks: [JSONValue] = []
        for index in TaskIndex.slice(start: start, stop: stop, count: count) {
            tasks.append(try await task(split: split, index: index))
        }
        return tasks
    }
}

/// A task index outside its split; the Task API answers `400 {"detail":"Invalid task index"}`.
public struct TaskIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    public var split: String
    public var index: Int
    public var count: Int

    public init(split: String, index: Int, count: Int) {
        self.split = split
        self.index = index
        self.count = count
    }

    public var description: String {
        "task index \(index) is out of range for split '\(split)' (\(count) tasks; valid: \(-count)..<\(count))"
    }
}

/// Python's index and slice arithmetic over a sequence of `count` elements, as the
/// reference's list-backed task providers apply it.
public enum TaskIndex {
    /// The position `index` designates: itself when `0 <= index < count`, `count + index`
    /// for `-count <= index < 0`, otherwise `nil`.
    public static func resolve(_ index: Int, count: Int) -> Int? {
        let position = index < 0 ? count + index : index
        return (0..<count).contains(position) ? position : nil
    }

    /// The positions of `sequence[start:stop]` (step 1): open bounds for `nil`, negative
    /// bounds counted from the end, everything clamped to `0...count`; empty when
    /// `start >= stop`.
    public static func slice(start: Int?, stop: Int?, count: Int) -> Range<Int> {
        func clamp(_ bound: Int?, _ open: Int) -> Int {
            guard let bound else { return open }
            let position = bound < 0 ? count + bound : bound
            return min(max(position, 0), count)
        }
        let lower = clamp(start, 0)
        let upper = clamp(stop, count)
        return lower < upper ? lower..<upper : lower..<lower
    }
}
