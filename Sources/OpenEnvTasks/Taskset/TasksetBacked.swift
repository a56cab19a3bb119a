import OpenEnvCore

/// An environment whose Task API (``TaskProviding``) serves a ``Taskset``: declare
/// `taskset` and the five Task API methods come for free. Tasks are the dataset rows as
/// they are (unmapped), splits are listed by name.
public protocol TasksetBacked: TaskProviding {
    nonisolated var taskset: Taskset { get }
}

extension TasksetBacked {
    public func listSplits() async throws -> [JSONValue] { taskset.splitNames.map(JSONValue.string) }

    public func numTasks(split: String) async throws -> Int { try taskset.split(split).count }

    public func task(split: String, index: Int) async throws -> JSONValue { .object(try taskset.split(split).row(at: index)) }

    public func listTasks(split: String) async throws -> [JSONValue] { try taskset.split(split).rows.map(JSONValue.object) }

    public func taskRange(split: String, start: Int?, stop: Int?) async throws -> [JSONValue] {
        try taskset.split(split).rows(start: start, stop: stop).map(JSONValue.object)
    }
}
