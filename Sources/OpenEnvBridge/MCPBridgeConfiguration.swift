/// Which MCP server a bridge environment serves, and its limits.
public struct MCPBridgeConfiguration: Sendable, Equatable {
    public enum Server: Sendable, Equatable {
        /// A command that speaks MCP on stdio; each session starts its own process.
        case command([String])
        /// A Streamable HTTP endpoint (`http://host:port/mcp`); each session opens its own MCP session.
        case url(String)
    }

    public var server: Server
    /// How long one tool call may take before it fails with `timeout` (the reference's 30 s).
    public var toolTimeout: Duration
    /// How long starting the server and its `initialize` and `tools/list` may take.
    public var startupTimeout: Duration
    /// The longest message accepted from the server (a longer stdio line is dropped).
    public var maxMessageSize: Int

    public init(
        server: Server, toolTimeout: Duration = .seconds(30), startupTimeout: Duration = .seconds(30),
        maxMessageSize: Int = 16 * 1024 * 1024
    ) {
        self.server = server
        self.toolTimeout = toolTimeout
        self.startupTimeout = startupTimeout
        self.maxMessageSize = maxMessageSize
    }

    /// The server, as a person would write it.
    public var serverDescription: String {
        switch server {
        case .command(let command): command.joined(separator: " ")
        case .url(let url): url
        }
    }
}

/// A bridged MCP server could not be started or reached.
public struct MCPBridgeError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
