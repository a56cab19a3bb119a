import OpenEnvChatClient
import OpenEnvCore
import OpenEnvTestSupport
import Testing

@testable import OpenEnvRewards

struct ToolCall: Codable, Sendable {
    var toolName: String
    var argumentCount: Int
}

struct ToolOutcome: Codable, Sendable {
    var exitCode: Int
}

/// A reward service: scores a step by its exit code, an episode by its share of clean steps.
func rewardServer(_ log: RequestLog) -> @Sendable (LoopbackRequest) async -> LoopbackResponse {
    { request in
        _ = await log.begin(request)
        await log.end()
        guard request.uri == "/score", let body = request.json else { return .text("bad", status: 404) }
        switch body["kind"]?.stringValue {
        case "step":
            let clean = body["observation"]?["exit_code"]?.intValue == 0
            return .json(["score": clean ? 1.0 : 0.0, "components": ["clean": clean ? 1 : 0], "reason": "exit code"])
        case "episode":
            let steps = body["steps"]?.arrayValue ?? []
            let clean = steps.filter { $0["observation"]?["exit_code"]?.intValue == 0 }.count
            return .json(["score": .double(Double(clean) / Double(max(steps.count, 1)))])
        default:
            return .json(["error": "unknown kind"], status: 400)
        }
    }
}

@Suite struct RewardServiceTests {
    @Test func aStepIsPostedInWireFormAndItsScoreAndComponentsRead() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(rewardServer(log)) { server in
            let service = try RewardService<ToolCall, ToolOutcome>(
                RewardServiceConfiguration(url: server.baseURL + "/score", bearerToken: "tok", headers: ["X-Env": "coding"], policy: fastPolicy))
            let score = try await service.evaluate(ToolCall(toolName: "run", argumentCount: 2), ToolOutcome(exitCode: 0))
            #expect(score == RubricScore(1, components: [.init("clean", 1)]))
            let request = try #require(await log.requests.first)
            #expect(request.json == ["kind": "step", "action": ["tool_name": "run", "argument_count": 2], "observation": ["exit_code": 0]])
            #expect(request.header("Authorization") == "Bearer tok" && request.header("X-Env") == "coding")
        }
    }

    @Test func anEpisodeIsPostedWholeAndCreditedBackToItsSteps() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(rewardServer(log)) { server in
            let service = try RewardService<ToolCall, ToolOutcome>(
                RewardServiceConfiguration(url: server.baseURL + "/score", policy: fastPolicy), credit: .uniform)
            var trajectory = Trajectory<ToolCall, ToolOutcome>()
            trajectory.append(ToolCall(toolName: "a", argumentCount: 0), ToolOutcome(exitCode: 1), done: false)
            #expect(try await service.evaluate(trajectory) == .intermediate(0))
            #expect(await log.requests.isEmpty)
            trajectory.append(ToolCall(toolName: "b", argumentCount: 1), ToolOutcome(exitCode: 0), done: true)
            let reward = try await service.evaluate(trajectory)
            #expect(reward == .final(RubricScore(0.5), stepRewards: [0.5, 0.5]))
            #expect(await log.requests.first?.json == [
                "kind": "episode",
                "steps": [
                    ["action": ["tool_name": "a", "argument_count": 0], "observation": ["exit_code": 1], "done": false],
                    ["action": ["tool_name": "b", "argument_count": 1], "observation": ["exit_code": 0], "done": true],
                ],
            ])
        }
    }

    @Test func repliesOutsideTheContractAreErrorsOrTheFallback() async throws {
        let replies: [(LoopbackResponse, String)] = [
            (.json(["result": 1]), #"no numeric "score""#),
            (.json(["score": 3]), "score 3.0 is outside 0.0...1.0"),
            (.json(["score": true]), #"no numeric "score""#),
            (.json(["score": 0.5, "components": ["a": "high"]]), #"component "a" is not a finite number"#),
            (.text("not json"), "the body is not JSON"),
        ]
        for (reply, message) in replies {
            try await withLoopbackHTTPServer({ _ in reply }) { server in
                let configuration = RewardServiceConfiguration(url: server.baseURL + "/score", policy: fastPolicy)
                await #expect {
                    try await RewardService<ToolCall, ToolOutcome>(configuration).evaluate(ToolCall(toolName: "a", argumentCount: 0), ToolOutcome(exitCode: 0))
                } throws: { error in
                    guard case .invalidReply? = error as? EndpointError else { return false }
                    return "\(error)".contains(message)
                }
                let fallback = try await RewardService<ToolCall, ToolOutcome>(configuration, fallbackScore: 0.25)
                    .evaluate(ToolCall(toolName: "a", argumentCount: 0), ToolOutcome(exitCode: 0))
                #expect(fallback.value == 0.25 && fallback.notes.first?.hasPrefix("reward service fell back to 0.25: ") == true)
            }
        }
    }

    @Test func serverErrorsAreRetried() async throws {
        let log = RequestLog()
        let handler: @Sendable (LoopbackRequest) async -> LoopbackResponse = { request in
            let n = await log.begin(request)
            await log.end()
            return n < 3 ? .text("busy", status: 502) : .json(["score": 0.9])
        }
        try await withLoopbackHTTPServer(handler) { server in
            let service = try RewardService<ToolCall, ToolOutcome>(RewardServiceConfiguration(url: server.baseURL + "/score", policy: fastPolicy))
            #expect(try await service.evaluate(ToolCall(toolName: "a", argumentCount: 0), ToolOutcome(exitCode: 0)).value == 0.9)
            #expect(await log.requests.count == 3)
        }
    }

    @Test func configurationErrors() {
        #expect(throws: EndpointError.invalidConfiguration("endpoint URL 'localhost:9000' is not an http:// or https:// URL")) {
            try RewardService<ToolCall, ToolOutcome>(RewardServiceConfiguration(url: "localhost:9000"))
        }
        #expect(throws: RubricError.outOfRange(2, 0...1)) {
            try RewardService<ToolCall, ToolOutcome>(RewardServiceConfiguration(url: "http://127.0.0.1:1/"), fallbackScore: 2)
        }
    }
}
