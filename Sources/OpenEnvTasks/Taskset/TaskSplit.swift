import OpenEnvCore

/// The rows of one split, addressed with Python index semantics.
public struct TaskSplit: Sendable, Equatable {
    public let name: String
    public let rows: [JSONObject]

    public init(name: String, rows: [JSONObject]) {
        self.name = name
        self.rows = rows
    }

    public var count: Int { rows.count }

    /// The row at `index` (`-1` is the last); outside `-count..<count` throws ``TaskIndexError``.
    public func row(at index: Int) throws(TaskIndexError) -> JSONObject {
        guard let position = TaskIndex.resolve(index, count: count) else {
            throw TaskIndexError(split: name, index: index, count: count)
        }
        return rows[position]
    }

    /// The rows of the Python slice `rows[start:stop]`.
    public func rows(start: Int?, stop: Int?) -> ArraySlice<JSONObject> {
        rows[TaskIndex.slice(start: start, stop: stop, count: count)]
    }

    /// The position `selection` designates.
    public func position(of selection: TaskSelection) throws(TaskIndexError) -> Int {
        switch selection {
        case .index(let index):
            guard let position = TaskIndex.resolve(index, count: count) else {
                throw TaskIndexError(split: name, index: index, count: count)
            }
            return position
        case .seeded(let seed, let episode):
            guard count > 0 else { throw TaskIndexError(split: name, index: episode, count: 0) }
            let order = SeededShuffle.permutation(count: count, seed: seed)
            return order[((episode % count) + count) % count]
        }
    }
}

/// How a reset picks its task.
public enum TaskSelection: Sendable, Equatable {
    /// By index (Python semantics: `-1` is the last task).
    case index(Int)
    /// Position `episode` (modulo the split's size) of the split's order shuffled with
    /// `seed`: the same seed always gives the same order, on every platform and Swift
    /// version (``SeededShuffle``), so `episode` 0, 1, 2… walk a reproducible epoch.
    case seeded(seed: Int, episode: Int = 0)
}
