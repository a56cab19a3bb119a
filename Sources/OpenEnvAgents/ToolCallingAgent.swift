import OpenEnvChatClient
import OpenEnvCore
import OpenEnvRewards

/// What a tool call did, as the agent reports it to the model and in its events.
public struct ToolOutcome: Sendable, Equatable {
    /// What the model reads as the tool's answer.
    public var text: String
    /// The result as the environment returned it (for events and records).
    public var result: JSONValue
    /// The call failed (the text explains why).
    public var isError: Bool
    /// The environment's reward for the call, when it gave one.
    public var reward: Double?
    /// The environment ended the episode.
    public var done: Bool

    public init(text: String, result: JSONValue = nil, isError: Bool = false, reward: Double? = nil, done: Bool = false) {
        self.text = text
        self.result = result
        self.isError = isError
        self.reward = reward
        self.done = done
    }
}

/// Carries out the agent's tool calls (against an environment). Errors it throws end the
/// turn; a failed call the model should hear about is an outcome with `isError`.
public typealias ToolExecutor = @Sendable (_ name: String, _ arguments: JSONObject) async throws -> ToolOutcome

/// How a turn ended.
public struct TurnOutcome: Sendable, Equatable {
    /// The model's last text.
    public var response: String
    /// The environment ended the episode during the turn.
    public var done: Bool
    /// The sum of the rewards of the turn's tool calls.
    public var reward: Double
    /// Why the turn ended: `answered` (a reply without tool calls), `done` (the episode
    /// ended) or `max_model_calls`.
    public var ending: String

    public init(response: String, done: Bool, reward: Double, ending: String) {
        self.response = response
        self.done = done
        self.reward = reward
        self.ending = ending
    }
}

/// An LLM agent harness: gives an OpenAI-compatible chat model the environment's tools as
/// functions and runs the tool-calling loop, one conversational turn at a time, keeping the
/// conversation across turns.
///
/// A turn: the user message is appended; the model is asked for a reply; each tool call in
/// it is executed (in order) and answered; this repeats until a reply calls no tool, the
/// environment reports `done`, or ``AgentConfiguration/maxModelCalls`` replies were made.
/// Malformed calls (unknown tool, arguments that are not a JSON object) are answered with
/// an error text so the model can correct itself. Model errors (``EndpointError``) and
/// executor errors end the turn by throwing.
public struct ToolCallingAgent: Sendable {
    public let configuration: AgentConfiguration
    public let tools: [FunctionTool]
    public private(set) var conversation: Conversation
    private let client: ChatCompletionsClient

    /// Throws ``EndpointError/invalidConfiguration(_:)`` for an unusable model configuration.
    public init(configuration: AgentConfiguration, tools: [FunctionTool], client: ChatCompletionsClient? = nil) throws {
        self.configuration = configuration
        self.tools = tools
        self.client = try client ?? ChatCompletionsClient(configuration.model)
        conversation = Conversation(system: configuration.systemPrompt)
    }

    /// Asks the model for the next reply to the conversation and appends it.
    public mutating func nextReply() async throws -> ChatCompletion {
        let body = conversation.request(tools: tools, options: configuration.requestOptions)
        let reply = try await client.send(body)
        let completion = try ChatCompletion(reply: reply, url: configuration.model.baseURL)
        conversation.append(completion)
        return completion
    }

    /// Appends a user message.
    public mutating func say(_ text: String) {
        conversation.appendUser(text)
    }

    /// Appends the answer to one tool call.
    public mutating func answer(_ call: ToolCall, with text: String) {
        conversation.appendToolResult(callID: call.id, name: call.name, content: text)
    }

    /// Runs one turn on `message`, executing tool calls with `execute` and reporting each
    /// step to `emit` as a harness event; the last event is `turn_complete`. An error thrown
    /// by `emit` stops the turn and is rethrown.
    public mutating func runTurn(
        _ message: String, execute: ToolExecutor, emit: @Sendable (HarnessEvent) async throws -> Void = { _ in }
    ) async throws -> TurnOutcome {
        say(message)
        var reward = 0.0
        var response = ""
        for _ in 0..<configuration.maxModelCalls {
            try await emit(HarnessEvent(.llmRequest, data: ["messages": .array(conversation.messages), "model": .string(configuration.model.model)]))
            let completion = try await nextReply()
            response = completion.content
            try await emit(HarnessEvent(.llmResponse, data: ["content": .string(completion.content), "usage": completion.usage]))
            if completion.toolCalls.isEmpty {
                if !response.isEmpty { try await emit(HarnessEvent(.textOutput, data: ["text": .string(response)])) }
                return try await complete(TurnOutcome(response: response, done: false, reward: reward, ending: "answered"), emit)
            }
            for call in completion.toolCalls {
                let outcome: ToolOutcome
                do {
                    let arguments = try call.arguments()
                    try await emit(HarnessEvent(.toolCall, data: ["tool_name": .string(call.name), "arguments": .object(arguments)]))
                    if tools.contains(where: { $0.name == call.name }) {
                        outcome = try await execute(call.name, arguments)
                    } else {
                        outcome = ToolOutcome(text: "Error: there is no tool named \(call.name)", isError: true)
                    }
                } catch let error as ToolCallError {
                    try await emit(HarnessEvent(.toolCall, data: ["tool_name": .string(call.name), "arguments": .string(call.argumentsText)]))
                    outcome = ToolOutcome(text: "Error: \(error.description)", isError: true)
                }
                reward += outcome.reward ?? 0
                try await emit(HarnessEvent(.toolResult, data: [
                    "tool_name": .string(call.name), "result": outcome.result.isNull ? .string(outcome.text) : outcome.result,
                    "error": outcome.isError ? .string(outcome.text) : nil,
                ]))
                answer(call, with: outcome.text)
                if outcome.done {
                    return try await complete(TurnOutcome(response: response, done: true, reward: reward, ending: "done"), emit)
                }
            }
        }
        return try await complete(TurnOutcome(response: response, done: false, reward: reward, ending: "max_model_calls"), emit)
    }

    private func complete(_ outcome: TurnOutcome, _ emit: @Sendable (HarnessEvent) async throws -> Void) async throws -> TurnOutcome {
        try await emit(HarnessEvent(.turnComplete, data: ["response": .string(outcome.response), "done": .bool(outcome.done)]))
        return outcome
    }
}

extension ToolOutcome {
    /// The outcome of a step the agent's call was made with: for a `call_tool` step its
    /// result's text (or its error), for any other step the observation as JSON; with the
    /// step's reward and `done`.
    public init(step observation: JSONObject, reward: Reward?, done: Bool, isToolCall: Bool) {
        var text: String
        var isError = false
        var result: JSONValue = .object(observation)
        if isToolCall {
            result = observation["result"] ?? nil
            if let error = observation["error"], !error.isNull {
                isError = true
                text = "Error: " + (error["message"]?.stringValue ?? error.description)
            } else if let first = result["content"]?.arrayValue?.first?["text"]?.stringValue {
                text = first
            } else {
                text = JSONWriter().string(result["data"] ?? result)
            }
        } else {
            text = JSONWriter().string(.object(observation))
        }
        if reward != nil || done {
            text += "\n[reward: \(reward.map { JSONWriter().string($0.jsonValue) } ?? "none"), done: \(done)]"
        }
        self.init(text: text, result: result, isError: isError, reward: reward?.doubleValue, done: done)
    }
}
