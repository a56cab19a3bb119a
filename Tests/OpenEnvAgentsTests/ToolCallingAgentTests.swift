import OpenEnvAgents
import OpenEnvChatClient
import OpenEnvCore
import OpenEnvTestSupport
import Testing

/// The agent loop against a local server speaking the chat-completions protocol.
@Suite struct ToolCallingAgentTests {
    static let shout = FunctionTool(name: "shout", description: "Upper-cases text.", parameters: ["type": "object", "properties": ["text": ["type": "string"]]])

    static func configuration(_ server: ChatCompletionsServer, logprobs: Bool = false, maxModelCalls: Int = 16, extraBody: JSONObject = [:]) -> AgentConfiguration {
        var model = ChatModelConfiguration(baseURL: server.baseURL, model: "test-model", apiKey: "secret-key")
        model.policy.maxAttempts = 1
        return AgentConfiguration(model: model, systemPrompt: "Be brief.", maxModelCalls: maxModelCalls, logprobs: logprobs, extraBody: extraBody)
    }

    /// Upper-cases the `text` argument, like a real tool would compute its answer.
    static let execute: ToolExecutor = { name, arguments in
        ToolOutcome(text: (arguments["text"]?.stringValue ?? "").uppercased(), reward: 0.5)
    }

    actor Events {
        var all: [HarnessEvent] = []
        func add(_ event: HarnessEvent) { all.append(event) }
    }

    @Test func runsTheToolCallingLoopAndStreamsEvents() async throws {
        try await ChatCompletionsServer.with { server in
            var agent = try ToolCallingAgent(configuration: Self.configuration(server, extraBody: ["top_p": 0.9]), tools: [Self.shout])
            let events = Events()
            let outcome = try await agent.runTurn("make this loud\nsecond line", execute: Self.execute) { await events.add($0) }
            #expect(outcome == TurnOutcome(response: "The tool answered: MAKE THIS LOUD", done: false, reward: 0.5, ending: "answered"))
            #expect(await events.all.map(\.type) == [.llmRequest, .llmResponse, .toolCall, .toolResult, .llmRequest, .llmResponse, .textOutput, .turnComplete])
            #expect(await events.all[2].data["arguments"] == ["text": "make this loud"])
            #expect(await events.all.last?.data == ["response": "The tool answered: MAKE THIS LOUD", "done": false])
            let roles = agent.conversation.messages.compactMap { $0["role"]?.stringValue }
            #expect(roles == ["system", "user", "assistant", "tool", "assistant"])
            #expect(agent.conversation.messages[3]["tool_call_id"] == agent.conversation.messages[2]["tool_calls"]?.arrayValue?[0]["id"])

            let requests = await server.log.requests
            #expect(requests.count == 2)
            #expect(requests[0]["model"] == "test-model" && requests[0]["top_p"] == 0.9)
            #expect(requests[0]["tools"] == [Self.shout.json])
            #expect(requests[0]["logprobs"] == nil, "log-probabilities are asked for only when configured")
            #expect(requests[1]["messages"]?.arrayValue?.count == 4, "the second request carries the tool's answer")
        }
    }

    @Test func keepsTheConversationAcrossTurns() async throws {
        try await ChatCompletionsServer.with { server in
            var agent = try ToolCallingAgent(configuration: Self.configuration(server), tools: [Self.shout])
            _ = try await agent.runTurn("one", execute: Self.execute)
            let second = try await agent.runTurn("two", execute: Self.execute)
            #expect(second.response == "The tool answered: TWO")
            #expect(agent.conversation.messages.filter { $0["role"] == "user" }.count == 2)
            #expect(await server.log.requests.last?["messages"]?.arrayValue?.count == 8, "the last request: system, then user, call, answer, reply, then user, call, answer")
        }
    }

    @Test func recordsTokenIDsAndLogprobsWhenTheEndpointReturnsThem() async throws {
        let rule: ChatCompletionsServer.Rule = { request in
            var reply = ChatReply.toolUser(request)
            if request["logprobs"] == true {
                reply.choiceExtras = ["logprobs": ["content": [["token": "hi", "logprob": -0.25]]], "token_ids": [7, 8, 9]]
                reply.replyExtras = ["prompt_token_ids": [1, 2]]
            }
            return reply
        }
        try await ChatCompletionsServer.with(rule) { server in
            var agent = try ToolCallingAgent(configuration: Self.configuration(server, logprobs: true), tools: [Self.shout])
            _ = try await agent.runTurn("x", execute: Self.execute)
            let records = agent.conversation.completions
            #expect(records.count == 2)
            #expect(records[0]["finish_reason"] == "tool_calls" && records[1]["finish_reason"] == "stop")
            #expect(records[0]["token_ids"] == [7, 8, 9] && records[0]["prompt_token_ids"] == [1, 2])
            #expect(records[0]["logprobs"]?["content"]?.arrayValue?[0]["logprob"] == -0.25)
            #expect(records[0]["usage"]?["total_tokens"] == 15)
            #expect(await server.log.requests.allSatisfy { $0["logprobs"] == true })
        }
    }

    @Test func answersMalformedCallsWithAnErrorTheModelCanReadAndFixes() async throws {
        // First a call with broken JSON, then one to a tool that does not exist, then a good one.
        let rule: ChatCompletionsServer.Rule = { request in
            let tools = request["messages"]?.arrayValue?.filter { $0["role"] == "tool" } ?? []
            switch tools.count {
            case 0: return .toolCall("shout", arguments: "{\"text\": ", id: "a")
            case 1: return .toolCall("whisper", arguments: "{}", id: "b")
            case 2: return .toolCall("shout", arguments: "{\"text\": \"ok\"}", id: "c")
            default: return .text("done: " + (tools.last?["content"]?.stringValue ?? ""))
            }
        }
        try await ChatCompletionsServer.with(rule) { server in
            var agent = try ToolCallingAgent(configuration: Self.configuration(server), tools: [Self.shout])
            let outcome = try await agent.runTurn("go", execute: Self.execute)
            #expect(outcome.response == "done: OK")
            let answers = agent.conversation.messages.filter { $0["role"] == "tool" }.compactMap { $0["content"]?.stringValue }
            #expect(answers.count == 3)
            #expect(answers[0].hasPrefix("Error: the arguments of shout are not valid JSON"))
            #expect(answers[1] == "Error: there is no tool named whisper")
            #expect(answers[2] == "OK")
        }
    }

    @Test func stopsAfterTheModelCallBudgetAndWhenTheEpisodeEnds() async throws {
        let alwaysCall: ChatCompletionsServer.Rule = { _ in .toolCall("shout", arguments: "{\"text\": \"again\"}") }
        try await ChatCompletionsServer.with(alwaysCall) { server in
            var agent = try ToolCallingAgent(configuration: Self.configuration(server, maxModelCalls: 3), tools: [Self.shout])
            let outcome = try await agent.runTurn("loop", execute: Self.execute)
            #expect(outcome.ending == "max_model_calls" && outcome.reward == 1.5)
            #expect(await server.log.requests.count == 3)

            var ending = try ToolCallingAgent(configuration: Self.configuration(server), tools: [Self.shout])
            let events = Events()
            let done = try await ending.runTurn("end", execute: { _, _ in ToolOutcome(text: "over", reward: 1, done: true) }) { await events.add($0) }
            #expect(done.ending == "done" && done.done && done.reward == 1)
            #expect(await events.all.last?.data["done"] == true)
        }
    }

    @Test func modelFailuresEndTheTurnWithAnEndpointError() async throws {
        try await ChatCompletionsServer.with({ _ in .failure(500, "overloaded") }) { server in
            var agent = try ToolCallingAgent(configuration: Self.configuration(server), tools: [Self.shout])
            await #expect(throws: EndpointError.self) { _ = try await agent.runTurn("x", execute: Self.execute) }
        }
        await #expect(throws: EndpointError.self) {
            var agent = try ToolCallingAgent(configuration: AgentConfiguration(model: ChatModelConfiguration(baseURL: "not a url", model: "m")), tools: [])
            _ = try await agent.runTurn("x", execute: Self.execute)
        }
    }

    @Test func readsTheModelFromTheProcessEnvironment() throws {
        let configuration = try AgentConfiguration.fromEnvironment([
            "OPENENV_AGENT_BASE_URL": "http://127.0.0.1:9/v1", "OPENENV_AGENT_MODEL": "m", "OPENAI_API_KEY": "k",
            "OPENENV_AGENT_TEMPERATURE": "0", "OPENENV_AGENT_MAX_MODEL_CALLS": "4", "OPENENV_AGENT_TIMEOUT": "2.5",
        ])
        #expect(configuration.model.policy.timeout == .milliseconds(2500))
        #expect(try AgentConfiguration.fromEnvironment(["OPENENV_AGENT_BASE_URL": "http://x/v1", "OPENENV_AGENT_MODEL": "m"]).model.policy.timeout == .seconds(300))
        #expect(configuration.model.baseURL == "http://127.0.0.1:9/v1" && configuration.model.apiKey == "k")
        #expect(configuration.model.temperature == 0 && configuration.maxModelCalls == 4)
        #expect(throws: EndpointError.self) { try AgentConfiguration.fromEnvironment(["OPENENV_AGENT_MODEL": "m"]) }
        #expect(throws: EndpointError.self) {
            try AgentConfiguration.fromEnvironment(["OPENENV_AGENT_BASE_URL": "http://x/v1", "OPENENV_AGENT_MODEL": "m", "OPENENV_AGENT_MAX_MODEL_CALLS": "0"])
        }
    }
}
