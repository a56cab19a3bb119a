import OpenEnvCore

/// The OpenEnv JSON-RPC dialect at `POST /mcp` (spec §4.3–4.5): `tools/list`,
/// `tools/call`, `openenv/session/create`, `openenv/session/close`. Request ids count up
/// from 1 per client, as in the reference's `MCPToolClient`.
actor JSONRPCClient {
    let http: HTTPJSONClient
    private var nextID = 1

    init(http: HTTPJSONClient) { self.http = http }

    /// Calls `method` and returns its `result`. Throws ``OpenEnvError/rpc(_:)`` for a
    /// JSON-RPC error, ``OpenEnvError/httpStatus(_:body:)`` for a non-2xx status (the
    /// route always answers 200 on a compliant server), and connection errors as they are.
    func call(_ method: String, _ params: JSONObject = [:]) async throws(OpenEnvError) -> JSONValue {
        let id = nextID
        nextID += 1
        let request: JSONValue = ["jsonrpc": "2.0", "method": .string(method), "params": .object(params), "id": .int(id)]
        let response = try await http.send(.POST, "/mcp", json: request)
        guard response.isSuccess else { throw .httpStatus(response.status, body: response.body) }
        if let error = response.body["error"]?.objectValue {
            throw .rpc(RPCError(code: error["code"]?.intValue ?? 0, message: error["message"]?.stringValue ?? "", data: error["data"] ?? .null))
        }
        guard let result = response.body["result"] else { throw .unexpectedReply("no result in JSON-RPC response", response.body) }
        return result
    }

    /// Creates an HTTP session (`openenv/session/create`) and returns its id. A capacity
    /// refusal is reported as ``OpenEnvError/server(_:)`` with `CAPACITY_REACHED` and the
    /// counts, as `/ws` would report it; a factory failure as `FACTORY_ERROR`.
    func createSession() async throws(OpenEnvError) -> String {
        let result: JSONValue
        do throws(OpenEnvError) {
            result = try await call("openenv/session/create")
        } catch .rpc(let error) where error.code == RPCError.serverError {
            throw Self.serverError(from: error) ?? .rpc(error)
        }
        guard let id = result["session_id"]?.stringValue else { throw .unexpectedReply("no session_id", result) }
        return id
    }

    /// Closes an HTTP session (`openenv/session/close`).
    func closeSession(_ id: String) async throws(OpenEnvError) {
        _ = try await call("openenv/session/close", ["session_id": .string(id)])
    }

    /// The `/ws` error a `-32000` session-creation error stands for, when its `data` says.
    private static func serverError(from error: RPCError) -> OpenEnvError? {
        var data = error.data.objectValue ?? [:]
        if data["active_sessions"] != nil {
            data["code"] = .string(ServerError.Code.capacityReached.rawValue)
        } else if data["factory_name"] != nil {
            data["code"] = .string(ServerError.Code.factoryError.rawValue)
        } else {
            return nil
        }
        data["message"] = .string(error.message)
        return .server(ServerError(data: data))
    }
}
