import OpenEnvCore

/// The OpenEnv JSON-RPC 2.0 dialect of `POST /mcp`, WebSocket `/mcp` and the `mcp`
/// envelope on `/ws`: `tools/list`, `tools/call`, `openenv/session/create` and
/// `openenv/session/close`, with the reference's error codes and texts (spec §4.3–4.5).
///
/// Tool calls are not steps. Calls on a session go through the session, so they are
/// serialized with its steps.
struct JSONRPCDispatcher: Sendable {
    /// Where a request came from: plain HTTP, or a socket bound to a session.
    enum Binding: Sendable {
        /// Plain HTTP, with the request's token (sessions it creates count against it).
        case http(AccessPrincipal?)
        case socket(Session)

        /// The token of an HTTP request (a socket's session was checked when it opened).
        var principal: AccessPrincipal? {
            if case .http(let who) = self { who } else { nil }
        }
    }

    let registry: SessionRegistry
    /// The registry's (a computed property: the dispatcher is copied into every socket's
    /// message handler, and one reference copies for one retain).
    var factory: EnvironmentFactory { registry.factory }

    static func error(_ id: JSONValue, _ code: Int, _ message: String, data: JSONValue = .null) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": ["code": .int(code), "message": .string(message), "data": data]]
    }

    static func result(_ id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    /// Answers a raw request body. Not JSON, or JSON that is not an object: `-32700`.
    func handle(raw: some Collection<UInt8>, binding: Binding, parseErrorDetail: Bool) async -> JSONValue {
        let value: JSONValue
        do {
            guard UTF8Validation.isValid(raw) else { return Self.error(.null, -32700, "Parse error") }  // Python decodes first
            value = try JSONParser.parse(raw)
        } catch {
            return Self.error(.null, -32700, parseErrorDetail ? "Parse error: \(error)" : "Parse error")
        }
        guard case .object(let request) = value else { return Self.error(.null, -32700, "Parse error") }
        return await handle(request: request, binding: binding)
    }

    /// Answers one request object.
    func handle(request: JSONObject, binding: Binding) async -> JSONValue {
        let parsed: (method: String, params: JSONObject, id: JSONValue)
        switch Self.validate(request) {
        case .success(let p): parsed = p
        case .failure(let message): return Self.error(.null, -32600, "Invalid request: \(message)")
        }
        let (method, params, id) = parsed
        switch method {
        case "openenv/session/create": return await createSession(id: id, binding: binding)
        case "openenv/session/close": return await closeSession(id: id, params: params, binding: binding)
        case "tools/list": return await listTools(id: id, params: params, binding: binding)
        case "tools/call": return await callTool(id: id, params: params, binding: binding)
        default: return Self.error(id, -32601, "Method not found: \(method)")
        }
    }

    private enum Validation {
        case success((String, JSONObject, JSONValue))
        case failure(String)
    }

    /// Request validation as the reference's `JsonRpcRequest` model does it.
    private static func validate(_ request: JSONObject) -> Validation {
        var problems: [String] = []
        switch request["jsonrpc"] {
        case nil: problems.append("jsonrpc: Field required")
        case .string("2.0"): break
        case let other?: problems.append("jsonrpc: Input should be '2.0' (got \(other))")
        }
        var method = ""
        switch request["method"] {
        case nil: problems.append("method: Field required")
        case .string(let m): method = m
        case let other?: problems.append("method: Input should be a valid string (got \(other))")
        }
        var params = JSONObject()
        switch request["params"] {
        case nil, .null?: break
        case .object(let p)?: params = p
        case let other?: problems.append("params: Input should be a valid dictionary (got \(other))")
        }
        var id = JSONValue.null
        switch request["id"] {
        case nil, .null?: break
        case .string(let s)?: id = .string(s)
        case .int(let i)?: id = .int(i)
        case .double(let d)? where d.rounded() == d && abs(d) < 9e15: id = .int(Int(d))
        case let other?: problems.append("id: Input should be a valid string or integer (got \(other))")
        }
        for key in request.keys where !["jsonrpc", "method", "params", "id"].contains(key) {
            problems.append("\(key): Extra inputs are not permitted")
        }
        guard problems.isEmpty else {
            let noun = problems.count == 1 ? "error" : "errors"
            return .failure("\(problems.count) validation \(noun) for JsonRpcRequest\n" + problems.joined(separator: "\n"))
        }
        return .success((method, params, id))
    }

    private func rpcError(_ id: JSONValue, _ error: SessionError) -> JSONValue {
        switch error {
        case .capacityReached, .quotaReached, .factoryFailed:
            return Self.error(id, -32000, error.description, data: .object(error.extraFields))
        case .unknownSession, .closed:
            return Self.error(id, -32602, error.description)
        case .initializing(let sid):
            return Self.error(id, -32600, "Session \(sid) is still initializing; retry shortly")
        case .alreadyAttached, .ownedByAnotherSocket, .deadlineExceeded:
            return Self.error(id, -32600, error.description)
        }
    }

    private func createSession(id: JSONValue, binding: Binding) async -> JSONValue {
        if case .socket(let session) = binding { return Self.result(id, ["session_id": .string(session.id)]) }
        var principal: AccessPrincipal?
        if case .http(let who) = binding { principal = who }
        do {
            let session = try await registry.create(owner: .http, principal: principal)
            return Self.result(id, ["session_id": .string(session.id)])
        } catch {
            return rpcError(id, error)
        }
    }

    private func closeSession(id: JSONValue, params: JSONObject, binding: Binding) async -> JSONValue {
        guard case .string(let sid)? = params["session_id"], !sid.isEmpty else {
            return Self.error(id, -32602, "Invalid params - 'session_id' is required")
        }
        if case .socket(let own) = binding, own.id == sid {
            return Self.error(id, -32600, "Cannot close active WebSocket-managed session via MCP method")
        }
        let session: Session
        do { session = try await registry.lookup(sid, as: binding.principal) } catch { return rpcError(id, error) }
        if case .webSocket = session.owner { return rpcError(id, .ownedByAnotherSocket(sid)) }
        if session.requestCloseIfAttached() {
            return Self.result(id, ["session_id": .string(sid), "closed": false, "closing": true])
        }
        await registry.destroy(sid)
        return Self.result(id, ["session_id": .string(sid), "closed": true])
    }

    /// Runs `body` on the session the request addresses, or on a temporary environment.
    private func withTarget(
        id: JSONValue, params: JSONObject, binding: Binding, operation: CallOperation? = nil,
        _ body: @escaping @Sendable (AnyEnvironment) async throws -> JSONValue
    ) async -> JSONValue {
        let target: CallTarget
        if case .socket(let own) = binding {
            target = .bound(own)
        } else if case .string(let sid)? = params["session_id"], !sid.isEmpty {
            target = .addressed(sid, binding.principal)
        } else {
            target = .temporary
        }
        do {
            return try await registry.call(target, operation: operation, body)
        } catch let error as RPCFailure {
            return Self.error(id, error.code, error.message)
        } catch let error as SessionError {
            return rpcError(id, error)
        } catch {
            return Self.error(id, -32603, "\(error)")
        }
    }

    private struct RPCFailure: Error {
        var code: Int
        var message: String
    }

    private func listTools(id: JSONValue, params: JSONObject, binding: Binding) async -> JSONValue {
        return await withTarget(id: id, params: params, binding: binding) { environment in
            guard let toolbox = await environment.toolbox?() else {
                throw RPCFailure(code: -32603, message: "Environment does not support MCP")
            }
            return Self.result(id, ["tools": .array(toolbox.descriptors.map(\.rpcJSON))])
        }
    }

    private func callTool(id: JSONValue, params: JSONObject, binding: Binding) async -> JSONValue {
        guard case .string(let name)? = params["name"], !name.isEmpty else {
            return Self.error(id, -32602, "Missing 'name' in params")
        }
        var arguments = JSONObject()
        switch params["arguments"] {
        case nil, .null?: break
        case .object(let a)?: arguments = a
        default: return Self.error(id, -32602, "Invalid params - 'arguments' must be an object")
        }
        let callArguments = arguments
        return await withTarget(id: id, params: params, binding: binding, operation: .toolCall) { environment in
            guard let toolbox = await environment.toolbox?() else {
                throw RPCFailure(code: -32603, message: "Environment does not support MCP")
            }
            do {
                let result = try await toolbox.call(name, arguments: callArguments)
                return Self.result(id, result.json)
            } catch let error as ToolError {
                throw RPCFailure(code: -32603, message: error.message)
            }
        }
    }
}
