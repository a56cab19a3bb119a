import OpenEnvCore

/// An agent-harness environment (RFC 005): an LLM agent (``ToolCallingAgent``: an
/// OpenAI-compatible chat model calling tools) runs on the server against the tools of an
/// inner MCP environment; a client drives it one conversational turn at a time.
///
/// - `reset` resets the inner environment and starts a fresh conversation; its metadata
///   has `episode_id` and `injected_tools` (the tool names the agent got).
/// - `step({"message": …})` runs one turn: its metadata has `response`, `turn_events` and
///   `turn_number`; the reward is the sum of the rewards of the turn's tool calls, and
///   `done` is set when the inner environment ended the episode.
/// - MCP actions (`list_tools`, `call_tool`) go straight to the inner environment.
/// - In production mode the server serves it on `/harness` (``HarnessProviding``).
///
/// A turn that throws (the model unreachable, the inner environment failing) stops the
/// harness until the next reset, like a crashed harness process in the reference.
public actor AgentHarnessEnvironment: Environment, HarnessProviding, ToolProviding {
    public typealias Action = HarnessAction
    public typealias Observation = HarnessObservation

    public static let info = EnvironmentInfo(
        name: "AgentHarnessEnvironment", envName: "agent_env",
        description: "An LLM agent harness (OpenAI-compatible chat model with tool calling) acting on an MCP environment's tools",
        defaultMaxSessions: 64)

    public nonisolated let harnessName = "openenv-llm-agent"
    public nonisolated let turnTimeout: Duration
    public nonisolated let toolbox: Toolbox
    public private(set) var state = BasicState()
    public private(set) var isHarnessRunning = false

    private let configuration: AgentConfiguration
    private let inner: AnyEnvironment
    private let tools: [FunctionTool]
    private var agent: ToolCallingAgent?

    /// Wraps `inner`, whose tools the agent uses. Throws when `inner` has no tools or the
    /// model configuration is unusable.
    public init(tools inner: AnyEnvironment, configuration: AgentConfiguration, turnTimeout: Duration = .seconds(600)) async throws {
        guard let toolbox = await inner.toolbox?() else {
            throw EnvironmentOptionsError("the agent harness needs an environment with MCP tools")
        }
        self.inner = inner
        self.toolbox = toolbox
        self.configuration = configuration
        self.turnTimeout = turnTimeout
        tools = toolbox.descriptors.map { FunctionTool(name: $0.name, description: $0.description, parameters: $0.inputSchema) }
        _ = try ToolCallingAgent(configuration: configuration, tools: tools)
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<HarnessObservation> {
        isHarnessRunning = false
        agent = nil
        var arguments = options
        if let seed { arguments["seed"] = .int(seed) }
        if let episodeID { arguments["episode_id"] = .string(episodeID) }
        _ = try await inner.reset(arguments)
        agent = try ToolCallingAgent(configuration: configuration, tools: tools)
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        isHarnessRunning = true
        return StepResult(
            HarnessObservation(), reward: 0.0,
            metadata: ["episode_id": .string(state.episodeID ?? ""), "injected_tools": .array(tools.map { .string($0.name) })])
    }

    public func step(_ action: HarnessAction) async throws -> StepResult<HarnessObservation> {
        switch action {
        case .mcp(let action):
            let result = try await inner.step(try JSONValueEncoder().encode(action))
            var fields = result.observation
            fields["metadata"] = nil
            return StepResult(HarnessObservation(fields), reward: result.reward, done: result.done, metadata: result.metadata)
        case .message(let message):
            let events = EventLog()
            let outcome = try await turn(message) { await events.append($0) }
            return StepResult(
                HarnessObservation(), reward: .double(outcome.reward), done: outcome.done,
                metadata: ["response": .string(outcome.response), "turn_events": .array(await events.json), "turn_number": .int(state.stepCount)])
        }
    }

    public func runTurn(_ message: String, emit: @escaping @Sendable (HarnessEvent) async throws -> Void) async throws {
        _ = try await turn(message, emit: emit)
    }

    public func close() async {
        isHarnessRunning = false
        agent = nil
        await inner.close()
    }

    /// One turn of the agent; a failure stops the harness until the next reset.
    private func turn(_ message: String, emit: @escaping @Sendable (HarnessEvent) async throws -> Void) async throws -> TurnOutcome {
        guard isHarnessRunning, var agent else { throw HarnessNotRunning() }
        self.agent = nil
        isHarnessRunning = false
        let inner = self.inner
        let outcome = try await agent.runTurn(message, execute: { name, arguments in
            let result = try await inner.step(["type": "call_tool", "tool_name": .string(name), "arguments": .object(arguments)])
            return ToolOutcome(step: result.observation, reward: result.reward, done: result.done, isToolCall: true)
        }, emit: emit)
        self.agent = agent
        isHarnessRunning = true
        state.stepCount += 1
        return outcome
    }
}

/// `step` before `reset`, or after a failed turn.
public struct HarnessNotRunning: Error, CustomStringConvertible {
    public var description: String { "No active episode; call reset() before step()" }
}

/// The events of one turn, in order.
private actor EventLog {
    private var events: [HarnessEvent] = []
    func append(_ event: HarnessEvent) { events.append(event) }
    var json: [JSONValue] { events.map(\.json) }
}
