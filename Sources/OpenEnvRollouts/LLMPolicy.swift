import OpenEnvAgents
import OpenEnvCore

/// The `llm` policy: an OpenAI-compatible chat model acting through the environment's
/// tools (see ``ToolCallingAgent``), one conversation per episode.
///
/// The first user message is ``prompt`` followed by the reset observation as JSON. For an
/// MCP environment the model gets the environment's tools as functions and each call it
/// makes is one `call_tool` step; for any other environment it gets one `step` function
/// whose arguments are the action. Each step's observation becomes the call's answer. The
/// episode ends for the policy when the model answers without calling a tool, or after
/// ``AgentConfiguration/maxModelCalls`` replies. Malformed calls (unknown tool, arguments
/// that are not an object) are answered with an error and cost no step.
///
/// The episode's line gets the real conversation as `messages` and one `completions` entry
/// per model reply (finish reason, usage, and token ids and log-probabilities when the
/// endpoint returns them).
public actor LLMPolicy: Policy {
    public static let defaultPrompt = "Here is the environment's first observation. Use the tools to act in it."

    private let configuration: AgentConfiguration
    private let tools: [FunctionTool]
    private let isMCP: Bool
    private let prompt: String
    private var agent: ToolCallingAgent
    private var pending: [ToolCall] = []
    /// The call whose step is under way: the next observation answers it.
    private var inFlight: ToolCall?
    private var replies = 0

    public init(configuration: AgentConfiguration, environment: EnvironmentDescription, prompt: String = LLMPolicy.defaultPrompt) throws {
        self.configuration = configuration
        isMCP = environment.isMCP
        tools = isMCP
            ? environment.tools.map { FunctionTool(name: $0.name, description: $0.description, parameters: $0.inputSchema) }
            : [FunctionTool.step(actionSchema: environment.actionSchema)]
        self.prompt = prompt
        agent = try ToolCallingAgent(configuration: configuration, tools: tools)
    }

    public func beginEpisode(_ episodeID: String, seed: Int?) async throws {
        agent = try ToolCallingAgent(configuration: configuration, tools: tools)
        pending = []
        inFlight = nil
        replies = 0
    }

    public func act(_ input: PolicyInput) async throws -> JSONValue? {
        if input.step == 0 {
            agent.say(prompt + "\n\n" + JSONWriter().string(.object(input.observation)))
        } else {
            answerInFlight(with: input)
        }
        while true {
            while !pending.isEmpty {
                let call = pending.removeFirst()
                guard tools.contains(where: { $0.name == call.name }) else {
                    agent.answer(call, with: "Error: there is no tool named \(call.name)")
                    continue
                }
                do {
                    let arguments = try call.arguments()
                    inFlight = call
                    return isMCP ? ["type": "call_tool", "tool_name": .string(call.name), "arguments": .object(arguments)] : .object(arguments)
                } catch {
                    agent.answer(call, with: "Error: \(error.description)")
                }
            }
            guard replies < configuration.maxModelCalls else { return nil }
            replies += 1
            var agent = self.agent
            let completion = try await agent.nextReply()
            self.agent = agent
            guard !completion.toolCalls.isEmpty else { return nil }
            pending = completion.toolCalls
        }
    }

    public func episodeRecord(final input: PolicyInput?) async -> JSONObject {
        if let input { answerInFlight(with: input) }
        return ["messages": .array(agent.conversation.messages), "completions": .array(agent.conversation.completions)]
    }

    private func answerInFlight(with input: PolicyInput) {
        guard let call = inFlight else { return }
        inFlight = nil
        let outcome = ToolOutcome(step: input.observation, reward: input.reward, done: input.done, isToolCall: isMCP)
        agent.answer(call, with: outcome.text)
    }
}
