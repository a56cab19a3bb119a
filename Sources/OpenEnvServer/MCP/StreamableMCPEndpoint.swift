import NIOHTTP1
import OpenEnvCore

/// A standards-compliant MCP server endpoint (Streamable HTTP transport; protocol versions
/// 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05, tools only) at ``path``, so off-the-shelf MCP
/// clients can use an environment's tools. The OpenEnv dialect on `POST /mcp` is separate
/// and unchanged.
///
/// - `POST`: one JSON-RPC message (or, for 2025-03-26 clients, a batch). Requests are
///   answered with `application/json`; notifications and responses alone get `202`.
/// - `initialize` creates an MCP session — an environment session owned over HTTP, counted
///   against capacity and reaped when idle like any HTTP session — and returns its id in
///   `Mcp-Session-Id`. Every later request must carry that header (`400` without it,
///   `404` for an unknown or ended session).
/// - `DELETE` with `Mcp-Session-Id` ends the session.
/// - `GET` (a server-to-client stream) is not offered: `405`.
/// - Requests whose `Origin` is not this machine are refused (`403`), against DNS rebinding.
///
/// Tool calls go through the session, so they are serialized with its steps; they are not
/// steps. Failures of a tool are results with `isError: true`; an unknown tool is a
/// JSON-RPC `-32602`.
struct StreamableMCPEndpoint: Sendable {
    static let path = "/mcp/streamable"
    static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    let registry: SessionRegistry
    let factory: EnvironmentFactory

    func register(on router: inout HTTPRouter) {
        router.post(Self.path) { request, _ in await post(request) }
        router.add(.DELETE, Self.path, .dynamic { request, _ in await delete(request) })
        var notAllowed = HTTPResponse.json(Self.error(.null, -32000, "Method not allowed: this server offers no server-to-client stream"), status: .methodNotAllowed)
        notAllowed.headers = [("allow", "POST, DELETE")]
        router.add(.GET, Self.path, .constant(notAllowed))
    }

    static func error(_ id: JSONValue, _ code: Int, _ message: String) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": ["code": .int(code), "message": .string(message)]]
    }

    private static func result(_ id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    // MARK: HTTP

    private func post(_ request: HTTPRequest) async -> HTTPResponse {
        if let refusal = Self.checkHeaders(request) { return refusal }
        let message: JSONValue
        do {
            guard UTF8Validation.isValid(request.body) else {
                return .json(Self.error(.null, -32700, "Parse error: the body is not UTF-8"), status: .badRequest)
            }
            message = try JSONParser.parse(request.body)
        } catch {
            return .json(Self.error(.null, -32700, "Parse error: \(error)"), status: .badRequest)
        }
        let batch: [JSONValue]
        switch message {
        case .array(let items) where !items.isEmpty: batch = items
        case .object: batch = [message]
        default: return .json(Self.error(.null, -32600, "Invalid Request: expected a JSON-RPC object or batch"), status: .badRequest)
        }

        // initialize opens a session; everything else needs one.
        if batch.contains(where: { $0["method"] == "initialize" }) {
            guard batch.count == 1, case .object(let object) = message else {
                return .json(Self.error(.null, -32600, "Invalid Request: initialize must not be batched"), status: .badRequest)
            }
            return await initialize(object, principal: request.principal)
        }
        guard let sessionID = request.headers.first(name: "mcp-session-id"), !sessionID.isEmpty else {
            return .json(Self.error(.null, -32000, "Bad Request: Mcp-Session-Id header is required"), status: .badRequest)
        }
        let session: Session
        do {
            session = try await registry.lookup(sessionID, as: request.principal)
        } catch {
            return .json(Self.error(.null, -32001, "Session not found"), status: .notFound)
        }
        guard session.owner == .http else { return .json(Self.error(.null, -32001, "Session not found"), status: .notFound) }

        var responses: [JSONValue] = []
        for item in batch {
            if let response = await handle(item, session: session) { responses.append(response) }
        }
        if responses.isEmpty { return HTTPResponse(status: .accepted, contentType: "application/json", body: []) }
        var response = HTTPResponse.json(message.arrayValue == nil ? responses[0] : .array(responses))
        response.headers = [("mcp-session-id", session.id)]
        return response
    }

    private func delete(_ request: HTTPRequest) async -> HTTPResponse {
        if let refusal = Self.checkHeaders(request) { return refusal }
        guard let sessionID = request.headers.first(name: "mcp-session-id"), !sessionID.isEmpty else {
            return .json(Self.error(.null, -32000, "Bad Request: Mcp-Session-Id header is required"), status: .badRequest)
        }
        guard let session = try? await registry.lookup(sessionID, as: request.principal), session.owner == .http else {
            return .json(Self.error(.null, -32001, "Session not found"), status: .notFound)
        }
        await registry.destroy(session.id, cause: .client)
        return HTTPResponse(status: .ok, contentType: "application/json", body: [])
    }

    /// Origin and protocol-version checks every request passes first.
    private static func checkHeaders(_ request: HTTPRequest) -> HTTPResponse? {
        if let origin = request.headers.first(name: "origin"), !isLocalOrigin(origin) {
            return .json(error(.null, -32000, "Forbidden: origin \(origin) is not allowed"), status: .forbidden)
        }
        if let version = request.headers.first(name: "mcp-protocol-version"), !protocolVersions.contains(version) {
            return .json(error(.null, -32000, "Bad Request: unsupported MCP-Protocol-Version \(version); supported: \(protocolVersions.joined(separator: ", "))"), status: .badRequest)
        }
        return nil
    }

    static func isLocalOrigin(_ origin: String) -> Bool {
        let parts = origin.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasSuffix(":") else { return false }
        var host = parts[1]
        if host.hasPrefix("[") { host = host.dropFirst().prefix { $0 != "]" } } else { host = host.prefix { $0 != ":" && $0 != "/" } }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    // MARK: Messages

    private func initialize(_ request: JSONObject, principal: AccessPrincipal?) async -> HTTPResponse {
        let id = request["id"] ?? .null
        let requested = request["params"]?["protocolVersion"]?.stringValue
        let version = requested.flatMap { Self.protocolVersions.contains($0) ? $0 : nil } ?? "2025-06-18"
        let session: Session
        do {
            session = try await registry.create(owner: .http, principal: principal)
        } catch {
            return .json(Self.error(id, -32000, error.description), status: .serviceUnavailable)
        }
        var capabilities = JSONObject()
        if factory.providesTools { capabilities["tools"] = ["listChanged": false] }
        let info = factory.info
        var response = HTTPResponse.json(Self.result(id, [
            "protocolVersion": .string(version), "capabilities": .object(capabilities),
            "serverInfo": ["name": .string(info.envName), "version": .string(info.version ?? "1.0.0")],
            "instructions": .string(info.description),
        ]))
        response.headers = [("mcp-session-id", session.id)]
        return response
    }

    /// Answers one message; `nil` for notifications and client responses.
    private func handle(_ message: JSONValue, session: Session) async -> JSONValue? {
        guard case .object(let object) = message, object["jsonrpc"] == "2.0" else {
            return Self.error(.null, -32600, "Invalid Request")
        }
        guard case .string(let method)? = object["method"] else { return nil }  // a response from the client
        guard let id = object["id"], !id.isNull else { return nil }  // a notification
        let params = object["params"]?.objectValue ?? [:]
        switch method {
        case "ping":
            return Self.result(id, [:])
        case "tools/list" where factory.providesTools:
            do {
                let tools = try await registry.call(.bound(session)) { environment in
                    (await environment.toolbox?())?.descriptors ?? []
                }
                return Self.result(id, ["tools": .array(tools.map(Self.toolJSON))])
            } catch {
                return Self.error(id, -32603, "\(error)")
            }
        case "tools/call" where factory.providesTools:
            guard case .string(let name)? = params["name"] else { return Self.error(id, -32602, "Invalid params: 'name' is required") }
            let arguments = params["arguments"]?.objectValue ?? [:]
            do {
                let outcome = try await registry.call(.bound(session), operation: .toolCall) { environment -> Result<ToolResult, ToolError> in
                    guard let toolbox = await environment.toolbox?() else { return .failure(ToolError(.toolNotFound, "Unknown tool: \(name)")) }
                    do throws(ToolError) { return .success(try await toolbox.call(name, arguments: arguments)) } catch { return .failure(error) }
                }
                switch outcome {
                case .success(let result): return Self.result(id, Self.callResultJSON(result))
                case .failure(let error) where error.errorType == ToolErrorType.toolNotFound: return Self.error(id, -32602, error.message)
                case .failure(let error):
                    return Self.result(id, ["content": [["type": "text", "text": .string(error.message)]], "isError": true])
                }
            } catch {
                return Self.error(id, -32603, "\(error)")
            }
        default:
            return Self.error(id, -32601, "Method not found: \(method)")
        }
    }

    /// A tool as MCP's `tools/list` describes it (camelCase keys; optional fields only when set).
    static func toolJSON(_ tool: ToolDescriptor) -> JSONValue {
        var json: JSONObject = ["name": .string(tool.name), "description": .string(tool.description), "inputSchema": tool.inputSchema]
        if !tool.outputSchema.isNull { json["outputSchema"] = tool.outputSchema }
        if let title = tool.title { json["title"] = .string(title) }
        if !tool.annotations.isNull { json["annotations"] = tool.annotations }
        return .object(json)
    }

    /// A successful call as MCP's `CallToolResult` (camelCase keys, unlike the OpenEnv dialect).
    static func callResultJSON(_ result: ToolResult) -> JSONValue {
        ["content": .array(result.content), "structuredContent": result.structuredContent, "isError": .bool(result.isError)]
    }
}
