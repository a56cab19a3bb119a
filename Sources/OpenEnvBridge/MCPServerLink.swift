import Logging
import OpenEnvCore

/// One session's connection to its MCP server: opened with the environment, replaced on
/// reset when it has been used or has died, closed with the environment.
///
/// A connection is a fresh process (stdio) or a fresh MCP session (HTTP). Calls on a
/// connection that is gone fail at once with `execution_error` saying why; only a reset
/// starts a new one.
actor MCPServerLink {
    private let configuration: MCPBridgeConfiguration
    private let logger: Logger
    private var client: MCPClient?
    /// Why there is no usable connection (when `client` is nil or its transport ended).
    private var downReason = "it has not been started"
    /// A tool was called on the current connection, so its server may hold state.
    private var used = false
    private(set) var tools: [BridgedTool] = []

    init(configuration: MCPBridgeConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// `serverInfo` of the current connection's server.
    var serverInfo: JSONValue { client?.serverInfo ?? .null }

    /// The process id of the current stdio server, if any.
    var processID: Int32? { (client?.transport as? StdioTransport)?.processID }

    /// Replaces the connection with a new one unless the current one is alive and unused.
    /// - Returns: whether a new connection was made.
    @discardableResult
    func refresh() async throws(MCPBridgeError) -> Bool {
        if let client, !used, await client.transport.isOpen { return false }
        try await connect()
        return true
    }

    /// Closes the current connection and opens a new one: starts the server (or opens an
    /// HTTP session), initializes it and lists its tools, all within the startup timeout.
    func connect() async throws(MCPBridgeError) {
        await disconnect("it was replaced")
        let transport: any MCPTransport
        do {
            switch configuration.server {
            case .command(let command):
                transport = try await StdioTransport.launch(command, maxLineLength: configuration.maxMessageSize, logger: logger)
            case .url(let url):
                transport = HTTPTransport(url: url, maxMessageSize: configuration.maxMessageSize, logger: logger)
            }
        } catch {
            downReason = "it could not be started: \(error)"
            throw MCPBridgeError("cannot start the MCP server \(configuration.serverDescription): \(error)")
        }
        do throws(MCPTransportError) {
            let client = try await MCPClient.initialize(transport, timeout: configuration.startupTimeout)
            let listed = try await client.listTools(timeout: configuration.startupTimeout)
            tools = listed.compactMap { entry in
                let tool = BridgedTool(entry)
                if tool == nil { logger.warning("ignoring a tool without a name", metadata: ["tool": "\(entry)"]) }
                return tool
            }
            self.client = client
            used = false
        } catch {
            await transport.close()
            downReason = "its start failed: \(error)"
            throw MCPBridgeError("the MCP server \(configuration.serverDescription) did not start properly: \(error)")
        }
    }

    /// Calls `tool` on the current connection, checking the arguments first.
    func call(_ tool: BridgedTool, arguments: JSONObject) async throws(ToolError) -> ToolResult {
        try tool.validate(arguments)
        guard let client else { throw unavailable(downReason) }
        used = true
        let reply: JSONValue
        do throws(MCPTransportError) {
            reply = try await client.callTool(tool.name, arguments: arguments, timeout: configuration.toolTimeout)
        } catch {
            throw toolError(error, tool: tool.name)
        }
        return try tool.result(from: reply)
    }

    /// Closes the current connection (the process group is killed, the HTTP session deleted).
    func close() async {
        await disconnect("the environment was closed")
    }

    private func disconnect(_ reason: String) async {
        guard let client else { return }
        self.client = nil
        downReason = reason
        await client.transport.close()
    }

    private func toolError(_ error: MCPTransportError, tool: String) -> ToolError {
        switch error {
        case .timedOut(let hint):
            ToolError(.timeout, "Tool '\(tool)' timed out after \(Toolbox.seconds(configuration.toolTimeout)) seconds"
                + (hint.map { "; \($0)" } ?? ""))
        case .rpcError(-32602, let message):
            ToolError(.invalidArgs, "Invalid arguments for tool '\(tool)': \(message)")
        case .rpcError(_, let message):
            ToolError(.executionError, "Error executing tool \(tool): \(message)")
        case .unavailable(let reason):
            unavailable(reason)
        case .invalidResponse(let reason):
            ToolError(.executionError, "Error executing tool \(tool): the MCP server sent an \(reason)")
        }
    }

    private func unavailable(_ reason: String) -> ToolError {
        ToolError(.executionError, "The MCP server is not available (\(reason)); a reset starts a new one")
    }
}
