import OpenEnvClient
import OpenEnvCore

/// The tasks of one split, found through the server's Task API.
public struct DiscoveredSplit: Sendable, Equatable {
    /// The name the `/{env_name}/…` routes answer to (`qa_env`), from `/list_environments`.
    public var environment: String
    public var split: String
    /// The split's task count (`num_tasks`).
    public var count: Int
}

/// Finds an evaluation's tasks: `GET /list_environments` for the environment name, its
/// `/splits` to check the split exists, and `num_tasks`. Failures become ``EvalError``s
/// that say what the server lacks.
public enum TaskDiscovery {
    /// The environment name and the task count of `split` on the server at `baseURL`.
    public static func discover(baseURL: String, split: String, client: ClientConfiguration = ClientConfiguration()) async throws -> DiscoveredSplit {
        let address = try ServerAddress(baseURL)
        let tasks = TaskAPIClient(address: address, configuration: client)
        let names: [String]
        do {
            names = try await tasks.environmentNames()
        } catch OpenEnvError.httpStatus(let status, let body) {
            throw EvalError.noTaskAPI(url: address.httpBase, detail: "GET /list_environments: HTTP \(status) \(brief(body))")
        } catch OpenEnvError.unexpectedReply(let reason, _) {
            throw EvalError.noTaskAPI(url: address.httpBase, detail: reason)
        }
        guard let environment = names.first else {
            throw EvalError.noTaskAPI(url: address.httpBase, detail: "GET /list_environments lists no environment")
        }
        let splits: [String]
        do {
            splits = try await tasks.splits(environment: environment)
        } catch OpenEnvError.httpStatus(let status, let body) {
            throw EvalError.noTasks(environment: environment, detail: "GET /\(environment)/splits: HTTP \(status) \(brief(body))")
        }
        guard splits.contains(split) else { throw EvalError.unknownSplit(split, available: splits) }
        do {
            return DiscoveredSplit(environment: environment, split: split, count: try await tasks.numTasks(environment: environment, split: split))
        } catch OpenEnvError.httpStatus(let status, let body) {
            throw EvalError.noTasks(environment: environment, detail: "POST /\(environment)/num_tasks: HTTP \(status) \(brief(body))")
        }
    }

    /// A server's error body, short: its `detail` when it has one.
    private static func brief(_ body: JSONValue) -> String {
        let text = body["detail"]?.stringValue ?? body.stringValue ?? JSONWriter().string(body)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
