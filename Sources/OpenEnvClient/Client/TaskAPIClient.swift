import OpenEnvCore

/// The openenv 0.10 Task API of a server (spec §1.13), over HTTP: which environment it
/// serves, its splits, how many tasks a split has, and single tasks. The same requests the
/// official Python clients make, so it works against any conforming server.
///
/// Every method returns the decoded 200 body; any other status throws
/// ``OpenEnvError/httpStatus(_:body:)`` with the server's answer (`404` for an unknown
/// route or environment name, `501` for an environment without tasks, `400`/`500` for a bad
/// index or split), so callers can say what went wrong.
public struct TaskAPIClient: Sendable {
    public let address: ServerAddress
    private let http: HTTPJSONClient

    /// A client for the server at `address` (requests carry the configuration's headers, TLS settings and timeout).
    public init(address: ServerAddress, configuration: ClientConfiguration = ClientConfiguration()) {
        self.address = address
        http = HTTPJSONClient(address: address, configuration: configuration)
    }

    /// `GET /list_environments`: the names the `/{env_name}/…` routes answer to.
    public func environmentNames() async throws(OpenEnvError) -> [String] {
        let body = try await send(.GET, "/list_environments")
        guard let names = body.arrayValue?.compactMap(\.stringValue), names.count == body.arrayValue?.count else {
            throw .unexpectedReply("/list_environments should answer a list of names", body)
        }
        return names
    }

    /// `GET /{env_name}/splits`: the split names (a split given as an object counts by its `name`).
    public func splits(environment: String) async throws(OpenEnvError) -> [String] {
        let body = try await send(.GET, "/\(ServerAddress.percentEncoded(environment))/splits")
        guard let splits = body.arrayValue else { throw .unexpectedReply("/splits should answer a list", body) }
        return splits.compactMap { $0.stringValue ?? $0["name"]?.stringValue }
    }

    /// `POST /{env_name}/num_tasks`: the number of tasks in a split.
    public func numTasks(environment: String, split: String) async throws(OpenEnvError) -> Int {
        let body = try await send(.POST, "/\(ServerAddress.percentEncoded(environment))/num_tasks", ["split": .string(split)])
        guard let count = body["num_tasks"]?.intValue, count >= 0 else {
            throw .unexpectedReply("/num_tasks should answer {\"num_tasks\": N}", body)
        }
        return count
    }

    /// `POST /{env_name}/task`: one task (Python indexing: `-1` is the last).
    public func task(environment: String, split: String, index: Int) async throws(OpenEnvError) -> JSONValue {
        let body = try await send(.POST, "/\(ServerAddress.percentEncoded(environment))/task", ["split": .string(split), "index": .int(index)])
        guard let task = body["task"] else { throw .unexpectedReply("/task should answer {\"task\": …}", body) }
        return task
    }

    private func send(_ method: HTTPJSONClient.Method, _ path: String, _ body: JSONValue? = nil) async throws(OpenEnvError) -> JSONValue {
        let response = try await http.send(method, path, json: body)
        guard response.isSuccess else { throw .httpStatus(response.status, body: response.body) }
        return response.body
    }
}
