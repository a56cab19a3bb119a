import OpenEnvCore

/// A client for MCP environments, like the reference `MCPToolClient` (spec §4.9): it
/// creates a session over HTTP (`openenv/session/create`), drives it over
/// `/ws?session_id=<id>`, and reaches the same session's tools either through JSON-RPC
/// on `POST /mcp` or through `step`.
///
/// ```swift
/// let echo = try await MCPToolClient.connect(to: "http://127.0.0.1:8000")
/// _ = try await echo.reset()
/// let tools = try await echo.listTools()                          // JSON-RPC tools/list
/// let text = try await echo.callTool("echo_message", arguments: ["message": "hi"])   // "hi"
/// let viaStep = try await echo.callTool("echo_message", arguments: ["message": "hi"], via: .step)
/// await echo.close()
/// ```
///
/// Unlike the reference, failures are never swallowed: a failed `tools/list` throws
/// instead of returning an empty list. For step-only access over a plain `/ws` session,
/// use `EnvClient<MCPAction, MCPStepObservation, JSONObject>` directly.
public struct MCPToolClient: Sendable {
    /// The underlying session client (reset, step, state, reconnection).
    public let session: EnvClient<MCPAction, MCPStepObservation, JSONObject>
    private let rpc: JSONRPCClient

    private init(session: EnvClient<MCPAction, MCPStepObservation, JSONObject>) {
        self.session = session
        rpc = JSONRPCClient(http: HTTPJSONClient(address: session.address, configuration: session.configuration))
    }

    /// Creates a session on the server at `baseURL` and attaches to it.
    public static func connect(to baseURL: String, configuration: ClientConfiguration = ClientConfiguration()) async throws -> MCPToolClient {
        MCPToolClient(session: try await .connect(to: baseURL, transport: .attachedWebSocket, configuration: configuration))
    }

    /// Starts a server with `provider` and connects to it; ``close()`` stops the server.
    public static func launch(_ provider: some ServerProvider, configuration: ClientConfiguration = ClientConfiguration()) async throws -> MCPToolClient {
        MCPToolClient(session: try await .launch(provider, transport: .attachedWebSocket, configuration: configuration))
    }

    public func reset(seed: Int? = nil, episodeID: String? = nil, options: JSONObject = [:]) async throws -> StepResult<MCPStepObservation> {
        try await session.reset(seed: seed, episodeID: episodeID, options: options)
    }

    public func step(_ action: MCPAction) async throws -> StepResult<MCPStepObservation> {
        try await session.step(action)
    }

    public func state() async throws -> JSONObject {
        try await session.state()
    }

    /// The environment's tools.
    public func listTools(via route: ToolRoute = .jsonRPC) async throws -> [ToolInfo] {
        switch route {
        case .jsonRPC:
            return try ToolInfo.list(try await rpc.call("tools/list", try await sessionParams()))
        case .step:
            let result = try await session.step(.listTools)
            guard case .tools(let tools) = result.observation else {
                throw OpenEnvError.unexpectedReply("a list_tools step did not return tools", "\(result.observation)".jsonString)
            }
            return tools
        }
    }

    /// Calls a tool and returns its value: the result's `data` (what the tool returned),
    /// or the raw result when it has none.
    ///
    /// Throws ``OpenEnvError/rpc(_:)`` when `tools/call` fails, and
    /// ``OpenEnvError/tool(_:)`` when a `call_tool` step reports a tool error
    /// (`tool_not_found`, `invalid_args`, `execution_error`, `timeout`).
    public func callTool(_ name: String, arguments: JSONObject = [:], via route: ToolRoute = .jsonRPC) async throws -> JSONValue {
        switch route {
        case .jsonRPC:
            var params = try await sessionParams()
            params["name"] = .string(name)
            params["arguments"] = .object(arguments)
            let result = try await rpc.call("tools/call", params)
            return result["data"] ?? result
        case .step:
            let result = try await session.step(.callTool(CallToolAction(toolName: name, arguments: arguments)))
            guard case .toolCall(let call) = result.observation else {
                throw OpenEnvError.unexpectedReply("a call_tool step did not return a tool call", "\(result.observation)".jsonString)
            }
            if let error = call.error { throw OpenEnvError.tool(error) }
            return call.result["data"] ?? call.result
        }
    }

    /// See ``EnvClient/reconnectToFreshSession(backoff:)``: a new HTTP session, attached.
    @discardableResult
    public func reconnectToFreshSession(backoff: Backoff = Backoff()) async throws -> FreshSession {
        try await session.reconnectToFreshSession(backoff: backoff)
    }

    /// Sends `close` on the socket, then closes the HTTP session; stops a launched server.
    public func close() async {
        await session.close()
    }

    private func sessionParams() async throws(OpenEnvError) -> JSONObject {
        guard let id = await session.sessionID else { throw .sessionLost(.abandoned) }
        return ["session_id": .string(id)]
    }
}

extension String {
    fileprivate var jsonString: JSONValue { .string(self) }
}
