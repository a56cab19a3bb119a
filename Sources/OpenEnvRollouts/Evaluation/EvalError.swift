import OpenEnvCore

/// Why an evaluation or a comparison could not run.
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// The server does not serve the Task API at all (`/list_environments` missing).
    case noTaskAPI(url: String, detail: String)
    /// The server has the Task API routes but its environment serves no tasks (`501`).
    case noTasks(environment: String, detail: String)
    /// The split is not one of the environment's.
    case unknownSplit(String, available: [String])
    /// The task selection picks nothing from the split.
    case noTasksSelected(split: String, selection: String, count: Int)
    /// A results file that cannot be read or is not an `openenv eval` results file.
    case unreadableResults(path: String, reason: String)
    /// Two results files that do not evaluate the same tasks.
    case mismatch(String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case .noTaskAPI(let url, let detail):
            "the server at \(url) does not serve the Task API (\(detail)); openenv eval needs an environment with tasks (splits, num_tasks)"
        case .noTasks(let environment, let detail):
            "environment '\(environment)' serves no tasks (\(detail)); openenv eval needs an environment with tasks (splits, num_tasks)"
        case .unknownSplit(let split, let available):
            "unknown split '\(split)': the environment has " + (available.isEmpty ? "no splits" : available.map { "'\($0)'" }.joined(separator: ", "))
        case .noTasksSelected(let split, let selection, let count):
            "--tasks \(selection) selects no task of split '\(split)' (\(count) tasks)"
        case .unreadableResults(let path, let reason): "cannot read \(path): \(reason)"
        case .mismatch(let reason): "the results files do not evaluate the same tasks: \(reason)"
        case .cannotWrite(let path): "cannot write \(path)"
        }
    }
}
