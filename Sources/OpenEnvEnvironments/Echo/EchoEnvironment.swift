import OpenEnvCore

/// The echo environment: two MCP tools that echo a message, wire-compatible with the
/// reference `echo_env` (tool results, reset observation, names and step counting).
///
/// Every step counts in `step_count`, `list_tools` and failed calls included; direct
/// JSON-RPC tool calls do not.
public actor EchoEnvironment: Environment, ToolProviding {
    public typealias Action = MCPAction
    public typealias Observation = MCPObservation
    public typealias ResetObservation = EmptyObservation

    public static let info = EnvironmentInfo(
        name: "EchoEnvironment", envName: "echo_env", description: "EchoEnvironment environment",
        defaultMaxSessions: 1024)
    /// Calls never block and return in microseconds: the event loop's fast path.
    public static let execution = ExecutionPolicy.eventLoop

    /// The tools hold no per-session state, so every session shares one toolbox.
    public nonisolated var toolbox: Toolbox { Self.tools }
    public private(set) var state = BasicState()

    private static let tools: Toolbox = {
        var toolbox = Toolbox()
        // The names are fixed and valid; registration cannot fail.
        try! toolbox.register("echo_message", description: "Echo back the provided message.") { (arguments: MessageArguments) in
            arguments.message
        }
        try! toolbox.register("echo_with_length", description: "Echo back the message with its length.") {
            (arguments: MessageArguments) in
            EchoedMessage(message: arguments.message, length: arguments.message.count)
        }
        return toolbox
    }()

    public init() {
        state = BasicState(episodeID: UUIDString.random())
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<EmptyObservation> {
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        return StepResult(EmptyObservation(), reward: 0.0, metadata: ["status": "ready", "message": "Echo environment ready!"])
    }

    public func step(_ action: MCPAction) async throws -> StepResult<MCPObservation> {
        state.stepCount += 1
        return StepResult(await toolbox.step(action))
    }
}

/// Arguments of both echo tools.
struct MessageArguments: Codable, Sendable, JSONSchemaDescribed {
    var message: String
    static var propertyDescriptions: [String: String] { ["message": "The message to echo back"] }
}

/// Result of `echo_with_length`.
struct EchoedMessage: Codable, Sendable {
    var message: String
    var length: Int
}

extension EchoEnvironment {
    /// `echo`, as `openenv serve echo` serves it.
    public static let entry = EnvironmentEntry(name: "echo", kind: .mcp, factory: EnvironmentFactory { EchoEnvironment() })
}
