import Logging
import OpenEnvCore

/// An existing MCP server's tools as an OpenEnv environment: `openenv serve mcp-bridge --
/// <command>` (stdio) or `--mcp-url <url>` (Streamable HTTP).
///
/// - Actions and observations are echo's: `{"type":"list_tools"}` and
///   `{"type":"call_tool","tool_name":…,"arguments":{…}}` (``MCPAction``/``MCPObservation``);
///   the same tools answer JSON-RPC `tools/list` and `tools/call` (``ToolProviding``).
/// - Each instance (each session) has its own connection: its own server process, or its
///   own MCP session on the HTTP server, started when the instance is made (so a failing
///   server fails the session's creation). `reset` replaces it with a fresh one unless it
///   is alive and no tool was called on it yet; `close` ends it, killing the process group.
/// - A tool call fails with a typed ``ToolError``: `tool_not_found` (not listed),
///   `invalid_args` (the input schema rejects the arguments, checked before sending),
///   `timeout` (no reply within ``MCPBridgeConfiguration/toolTimeout``) or `execution_error`
///   (the tool reported an error, the server crashed or answered nonsense). The session
///   survives all of them; calls after a crash fail at once until a reset restarts the server.
/// - Every step counts in `step_count`, as in echo; reset's metadata names the server and
///   its tools.
public actor MCPBridgeEnvironment: Environment, ToolProviding {
    public typealias Action = MCPAction
    public typealias Observation = MCPObservation
    public typealias ResetObservation = EmptyObservation

    public static let info = EnvironmentInfo(
        name: "MCPBridgeEnvironment", envName: "mcp_bridge",
        description: "The tools of an MCP server (a command on stdio, or a Streamable HTTP URL) as an OpenEnv environment",
        defaultMaxSessions: 32)

    public private(set) var state: BasicState
    public private(set) var toolbox: Toolbox
    private let link: MCPServerLink
    private let configuration: MCPBridgeConfiguration
    private let logger: Logger

    /// Connects to the server (see the type's description).
    /// - Throws: ``MCPBridgeError`` when the server cannot be started or initialized.
    public init(configuration: MCPBridgeConfiguration, logger: Logger = Logger(label: "openenv.mcp-bridge")) async throws {
        let link = MCPServerLink(configuration: configuration, logger: logger)
        try await link.connect()
        self.link = link
        self.configuration = configuration
        self.logger = logger
        toolbox = Self.toolbox(await link.tools, link: link, logger: logger)
        state = BasicState(episodeID: UUIDString.random())
    }

    /// A factory of bridge environments for a server.
    public static func factory(_ configuration: MCPBridgeConfiguration, logger: Logger = Logger(label: "openenv.mcp-bridge")) -> EnvironmentFactory {
        EnvironmentFactory { try await MCPBridgeEnvironment(configuration: configuration, logger: logger) }
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<EmptyObservation> {
        if try await link.refresh() {
            toolbox = Self.toolbox(await link.tools, link: link, logger: logger)
        }
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        let tools: [JSONValue] = toolbox.descriptors.map { .string($0.name) }
        return StepResult(EmptyObservation(), metadata: ["status": "ready", "server": await link.serverInfo, "tools": .array(tools)])
    }

    public func step(_ action: MCPAction) async throws -> StepResult<MCPObservation> {
        state.stepCount += 1
        // The link applies the tool timeout itself (it knows why a server went quiet); the
        // toolbox's deadline, a little later, is only a backstop.
        return StepResult(await toolbox.step(action, timeout: configuration.toolTimeout + .seconds(1)))
    }

    public func close() async {
        await link.close()
    }

    /// The process id of the current stdio server (tests check that it is replaced and killed).
    var serverProcessID: Int32? {
        get async { await link.processID }
    }

    private static func toolbox(_ tools: [BridgedTool], link: MCPServerLink, logger: Logger) -> Toolbox {
        var toolbox = Toolbox()
        for tool in tools {
            do {
                try toolbox.register(tool.descriptor) { arguments in try await link.call(tool, arguments: arguments) }
            } catch {
                logger.warning("a tool of the MCP server is not bridged: \(error)")
            }
        }
        return toolbox
    }
}
