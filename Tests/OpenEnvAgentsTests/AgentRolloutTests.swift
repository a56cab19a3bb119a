import Foundation
import OpenEnvAgents
import OpenEnvChatClient
import OpenEnvClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvQA
import OpenEnvRollouts
import OpenEnvServer
import OpenEnvTestSupport
import Testing

/// The `llm` policy collecting episodes, and the agent harness environment, each against a
/// real server and a local chat-completions server.
@Suite struct AgentRolloutTests {
    static func agentConfiguration(_ server: ChatCompletionsServer) -> AgentConfiguration {
        var model = ChatModelConfiguration(baseURL: server.baseURL, model: "test-model")
        model.policy.maxAttempts = 1
        return AgentConfiguration(model: model, logprobs: true)
    }

    static func lines(_ path: String) throws -> [JSONValue] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("llm-\(UUID().uuidString).jsonl").path
    }

    @Test func llmPolicyCallsMCPToolsAndRecordsTheConversation() async throws {
        let output = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: output) }
        try await ChatCompletionsServer.with { model in
            let configuration = Self.agentConfiguration(model)
            try await withInProcessServer(EnvironmentFactory { EchoEnvironment() }) { port in
                let summary = try await Collector.run(
                    CollectConfiguration(baseURL: "http://127.0.0.1:\(port)", episodes: 3, concurrency: 2, maxSteps: 10, seed: nil, output: output),
                    policy: { environment, _ in try LLMPolicy(configuration: configuration, environment: environment, prompt: "Echo this") })
                #expect(summary.episodes == 3 && summary.failed == 0)
            }
            let requests = await model.log.requests
            #expect(requests.count == 6, "two model replies per episode: a tool call, then the answer")
            #expect(requests[0]["tools"]?.arrayValue?.compactMap { $0["function"]?["name"]?.stringValue } == ["echo_message", "echo_with_length"])
        }
        for line in try Self.lines(output) {
            #expect(line["ending"] == "policy_stopped", "the model answered without a tool call")
            let steps = try #require(line["steps"]?.arrayValue)
            #expect(steps.count == 1)
            #expect(steps[0]["action"] == ["type": "call_tool", "tool_name": "echo_message", "arguments": ["message": "Echo this"]])
            let messages = try #require(line["messages"]?.arrayValue)
            #expect(messages.compactMap { $0["role"]?.stringValue } == ["system", "user", "assistant", "tool", "assistant"])
            #expect(messages[3]["content"] == "Echo this", "the tool's answer is the echoed text")
            #expect(messages[4]["content"] == "The tool answered: Echo this")
            #expect(line["completions"]?.arrayValue?.count == 2)
        }
    }

    @Test func llmPolicyActsOnTypedEnvironmentsThroughAStepFunction() async throws {
        let output = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: output) }
        try await ChatCompletionsServer.with { model in
            let configuration = Self.agentConfiguration(model)
            try await withInProcessServer(EnvironmentFactory { try await QAEnvironment.builtin() }) { port in
                let summary = try await Collector.run(
                    CollectConfiguration(baseURL: "http://127.0.0.1:\(port)", episodes: 2, concurrency: 1, maxSteps: 5, seed: 3, output: output),
                    policy: { environment, _ in try LLMPolicy(configuration: configuration, environment: environment, prompt: "42") })
                #expect(summary.failed == 0)
            }
            let tools = try #require(await model.log.requests.first?["tools"]?.arrayValue)
            #expect(tools.count == 1 && tools[0]["function"]?["name"] == "step")
            #expect(tools[0]["function"]?["parameters"]?["properties"]?["answer"] != nil)
            #expect(tools[0]["function"]?["parameters"]?["properties"]?["metadata"] == nil)
        }
        for line in try Self.lines(output) {
            #expect(line["ending"] == "done")
            #expect(line["steps"]?.arrayValue?[0]["action"] == ["answer": "42"])
            let messages = try #require(line["messages"]?.arrayValue)
            // The episode ended with the graded answer: the last message answers the call.
            #expect(messages.last?["role"] == "tool")
            #expect(messages.last?["content"]?.stringValue?.contains("done: true") == true)
        }
    }

    @Test func harnessEnvironmentRunsTurnsInSimulationMode() async throws {
        try await ChatCompletionsServer.with { model in
            let configuration = Self.agentConfiguration(model)
            let factory = EnvironmentFactory { try await AgentHarnessEnvironment(tools: try await EnvironmentFactory { EchoEnvironment() }.make(), configuration: configuration) }
            #expect(factory.providesHarness && factory.providesTools)
            try await withInProcessServer(factory) { port in
                let client = try await GenericEnvClient.connect(to: "http://127.0.0.1:\(port)")
                let reset = try await client.reset(episodeID: "ep-1")
                #expect(reset.metadata["injected_tools"] == ["echo_message", "echo_with_length"])
                #expect(reset.metadata["episode_id"] == "ep-1")
                let turn = try await client.step(["message": "hello harness"])
                #expect(turn.metadata["response"] == "The tool answered: hello harness")
                #expect(turn.metadata["turn_number"] == 1 && turn.done == false)
                let types = turn.metadata["turn_events"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
                #expect(types == ["llm_request", "llm_response", "tool_call", "tool_result", "llm_request", "llm_response", "text_output", "turn_complete"])
                // MCP actions reach the inner environment's tools directly.
                let direct = try await client.step(["type": "call_tool", "tool_name": "echo_with_length", "arguments": ["message": "abc"]])
                #expect(direct.observation["tool_name"] == "echo_with_length")
                #expect(direct.observation["result"]?["data"]?["length"] == 3)
                let state = try await client.state()
                #expect(state["step_count"] == 1, "turns count as steps; direct tool calls do not")
                await client.close()
            }
        }
    }

    @Test func aFailedTurnStopsTheHarnessUntilTheNextReset() async throws {
        try await ChatCompletionsServer.with({ request in
            request["messages"]?.arrayValue?.last?["content"] == "fail" ? .failure(503, "down") : ChatReply.toolUser(request)
        }) { model in
            let configuration = Self.agentConfiguration(model)
            let environment = try await AgentHarnessEnvironment(tools: try await EnvironmentFactory { EchoEnvironment() }.make(), configuration: configuration)
            await #expect(throws: HarnessNotRunning.self) { _ = try await environment.step(.message("before reset")) }
            _ = try await environment.reset(seed: nil, episodeID: nil, options: [:])
            await #expect(throws: EndpointError.self) { _ = try await environment.step(.message("fail")) }
            #expect(await environment.isHarnessRunning == false)
            await #expect(throws: HarnessNotRunning.self) { _ = try await environment.step(.message("after failure")) }
            _ = try await environment.reset(seed: nil, episodeID: nil, options: [:])
            let turn = try await environment.step(.message("works again"))
            #expect(turn.metadata["response"] == "The tool answered: works again")
            await environment.close()
        }
    }
}
