@testable import OpenEnvChatClient
import OpenEnvCore
import OpenEnvTestSupport
import Testing

@testable import OpenEnvRewards

/// What a stand-in endpoint saw: every request, and the most requests in flight at once.
actor RequestLog {
    private(set) var requests: [LoopbackRequest] = []
    private var inFlight = 0
    private(set) var maxInFlight = 0

    func begin(_ request: LoopbackRequest) -> Int {
        requests.append(request)
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        return requests.count
    }

    func end() { inFlight -= 1 }
}

/// An OpenAI chat-completions reply with `content`.
func chatReply(_ content: String) -> LoopbackResponse {
    .json([
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "judge-1",
        "choices": [["index": 0, "message": ["role": "assistant", "content": .string(content)], "finish_reason": "stop"]],
        "usage": ["prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11],
    ])
}

/// A chat-completions endpoint: `answer(n, request)` makes the reply to the n-th request
/// (from 1), after `delay`.
func judgeServer(
    _ log: RequestLog, delay: Duration = .zero,
    answer: @escaping @Sendable (Int, LoopbackRequest) -> LoopbackResponse = { _, _ in chatReply("0.8") }
) -> @Sendable (LoopbackRequest) async -> LoopbackResponse {
    { request in
        let n = await log.begin(request)
        if delay > .zero { try? await Task.sleep(for: delay) }
        await log.end()
        guard request.method == "POST", request.uri == "/v1/chat/completions" else { return .text("no such route", status: 404) }
        return answer(n, request)
    }
}

let fastPolicy = RequestPolicy(timeout: .seconds(5), maxAttempts: 3, initialBackoff: .milliseconds(10), multiplier: 2, maxBackoff: .milliseconds(50))

func judge(
    _ server: LoopbackHTTPServer, policy: RequestPolicy = fastPolicy, parser: ScoreParser? = nil, fallback: Double? = nil
) throws -> LLMJudge<Answer, Grading> {
    let client = try ChatCompletionsClient(ChatModelConfiguration(
        baseURL: server.baseURL + "/v1/", model: "judge-1", apiKey: "sk-test-123", systemPrompt: "You grade answers.", policy: policy))
    return try LLMJudge(
        client: client, template: try PromptTemplate("Expected: {expected}\nGiven: {answer}\nScore {{0-1}}:"), parser: parser,
        fallbackScore: fallback
    ) { answer, grading in ["expected": grading.expected, "answer": answer.text] }
}

@Suite struct LLMJudgeTests {
    @Test func sendsAChatCompletionsRequestAndParsesTheScore() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(judgeServer(log)) { server in
            let score = try await judge(server).evaluate(Answer(text: "Paris"), Grading(expected: "paris"))
            #expect(score.value == 0.8)
            let requests = await log.requests
            #expect(requests.count == 1)
            let request = try #require(requests.first)
            #expect(request.header("Authorization") == "Bearer sk-test-123")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.json == [
                "model": "judge-1",
                "messages": [
                    ["role": "system", "content": "You grade answers."],
                    ["role": "user", "content": "Expected: paris\nGiven: Paris\nScore {0-1}:"],
                ],
                "temperature": 0.0,
            ])
        }
    }

    @Test func scoreParsingPatternsAndScales() throws {
        #expect(try ScoreParser().parse("I'd say 0.75 overall") == 0.75)
        #expect(try ScoreParser(pattern: #"Score:\s*(\d+)"#, scale: .rescale(from: 0...10)).parse("3 issues. Score: 8") == 0.8)
        #expect(try ScoreParser(scale: .clamp).parse("1.4") == 1)
        #expect(throws: ScoreParseError.outOfRange(7, 0...1)) { try ScoreParser().parse("7") }
        #expect(throws: ScoreParseError.noScore("no idea")) { try ScoreParser().parse("no idea") }
        #expect(throws: ScoreParseError.invalidPattern("(")) { try ScoreParser(pattern: "(") }
    }

    @Test func anUnparsableReplyIsAnErrorOrTheConfiguredFallbackNeverASilentZero() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(judgeServer(log) { _, _ in chatReply("I cannot grade this.") }) { server in
            await #expect(throws: ScoreParseError.noScore("I cannot grade this.")) {
                try await judge(server).evaluate(Answer(text: "x"), Grading(expected: "y"))
            }
            let score = try await judge(server, fallback: 0.5).evaluate(Answer(text: "x"), Grading(expected: "y"))
            #expect(score.value == 0.5)
            #expect(score.notes == [#"LLM judge fell back to 0.5: no score in the judge's reply: "I cannot grade this.""#])
        }
    }

    @Test func transientFailuresAreRetriedWithBackoff() async throws {
        let log = RequestLog()
        let server = judgeServer(log) { n, _ in
            n == 1 ? .text("overloaded", status: 503) : n == 2 ? LoopbackResponse(status: 429, headers: [("Retry-After", "0")]) : chatReply("1")
        }
        try await withLoopbackHTTPServer(server) { server in
            let clock = ContinuousClock()
            let start = clock.now
            let score = try await judge(server).evaluate(Answer(text: "x"), Grading(expected: "x"))
            #expect(score.value == 1)
            #expect(await log.requests.count == 3)
            #expect(clock.now - start >= .milliseconds(30))  // 10 ms, then 20 ms of backoff
        }
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(judgeServer(log) { _, _ in .json(["error": ["message": "bad key"]], status: 401) }) { server in
            await #expect {
                try await judge(server).evaluate(Answer(text: "x"), Grading(expected: "x"))
            } throws: { error in
                guard case .status(_, 401, let body)? = error as? EndpointError else { return false }
                return body.contains("bad key") && !"\(error)".contains("sk-test-123")
            }
            #expect(await log.requests.count == 1)
        }
    }

    @Test func eachAttemptHasADeadlineAndTheLastFailureIsReported() async throws {
        let log = RequestLog()
        let policy = RequestPolicy(timeout: .milliseconds(200), maxAttempts: 2, initialBackoff: .milliseconds(10))
        // The judge answers after 60 s; the two 200 ms deadlines must end the call long before
        // (the bound is loose so that a loaded CI machine cannot fail it).
        try await withLoopbackHTTPServer(judgeServer(log, delay: .seconds(60))) { server in
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: EndpointError.gaveUp(attempts: 2, last: .timedOut(url: server.baseURL + "/v1/chat/completions", after: .milliseconds(200)))) {
                try await judge(server, policy: policy).evaluate(Answer(text: "x"), Grading(expected: "x"))
            }
            #expect(clock.now - start < .seconds(20))
            // Both attempts reached the server (on a loaded machine the second may be read
            // after the client gave up on it).
            for _ in 0..<100 where await log.requests.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(await log.requests.count == 2)
            let fallback = try await judge(server, policy: policy, fallback: 0).evaluate(Answer(text: "x"), Grading(expected: "x"))
            #expect(fallback.value == 0 && fallback.notes.count == 1 && fallback.notes[0].contains("timed out after"))
        }
    }

    @Test func anUnreachableEndpointIsAClearError() async throws {
        let server = try await LoopbackHTTPServer.start { _ in chatReply("1") }
        let closed = server.baseURL
        await server.stop()
        let client = try ChatCompletionsClient(ChatModelConfiguration(baseURL: closed + "/v1", model: "m", policy: fastPolicy))
        let rubric = try LLMJudge<Answer, Grading>(client: client, template: try PromptTemplate("{answer}")) { a, _ in ["answer": a.text] }
        await #expect {
            try await rubric.evaluate(Answer(text: "x"), Grading(expected: "x"))
        } throws: { error in
            guard case .gaveUp(3, .unreachable(let url, _))? = error as? EndpointError else { return false }
            return url == closed + "/v1/chat/completions"
        }
    }

    @Test func requestsInFlightAreBoundedPerClient() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(judgeServer(log, delay: .milliseconds(300))) { server in
            var policy = fastPolicy
            policy.maxConcurrentRequests = 2
            let rubric = try judge(server, policy: policy)
            let scores = try await withThrowingTaskGroup(of: Double.self) { group in
                for i in 0..<8 { group.addTask { try await rubric.evaluate(Answer(text: "\(i)"), Grading(expected: "x")).value } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(scores == Array(repeating: 0.8, count: 8))
            #expect(await log.requests.count == 8)
            #expect(await log.maxInFlight == 2)
        }
    }

    @Test func encodableStepsFillActionAndObservationAsJSON() async throws {
        let log = RequestLog()
        try await withLoopbackHTTPServer(judgeServer(log)) { server in
            let client = try ChatCompletionsClient(ChatModelConfiguration(baseURL: server.baseURL + "/v1", model: "m", temperature: nil, maxTokens: 4))
            let rubric = try LLMJudge<Answer, Grading>(client: client, template: try PromptTemplate("A={action} O={observation}"))
            _ = try await rubric.evaluate(Answer(text: "Paris"), Grading(expected: "paris"))
            let body = try #require(await log.requests.first?.json)
            #expect(body == ["model": "m", "messages": [["role": "user", "content": #"A={"text":"Paris"} O={"expected":"paris"}"#]], "max_tokens": 4])
            #expect(await log.requests.first?.header("Authorization") == nil)
        }
    }

    @Test func configurationFromTheEnvironment() throws {
        #expect(throws: EndpointError.self) { try ChatModelConfiguration.fromEnvironment([:]) }
        #expect(throws: EndpointError.invalidConfiguration("set OPENENV_JUDGE_MODEL to the judge's model name")) {
            try ChatModelConfiguration.fromEnvironment(["OPENAI_BASE_URL": "http://x/v1"])
        }
        let configuration = try ChatModelConfiguration.fromEnvironment([
            "OPENAI_BASE_URL": "http://ignored/v1", "OPENENV_JUDGE_BASE_URL": "http://127.0.0.1:9/v1", "OPENENV_JUDGE_MODEL": "judge",
            "OPENAI_API_KEY": "sk-1", "OPENENV_JUDGE_TIMEOUT": "2.5", "OPENENV_JUDGE_MAX_ATTEMPTS": "5", "OPENENV_JUDGE_MAX_CONCURRENCY": "3",
        ])
        #expect(configuration.baseURL == "http://127.0.0.1:9/v1" && configuration.model == "judge" && configuration.apiKey == "sk-1")
        #expect(configuration.policy.timeout == .milliseconds(2500))
        #expect(configuration.policy.maxAttempts == 5 && configuration.policy.maxConcurrentRequests == 3)
        #expect(throws: EndpointError.self) {
            try ChatModelConfiguration.fromEnvironment(["OPENAI_BASE_URL": "http://x", "OPENENV_JUDGE_MODEL": "m", "OPENENV_JUDGE_TIMEOUT": "soon"])
        }
        #expect(throws: EndpointError.self) { try ChatCompletionsClient(ChatModelConfiguration(baseURL: "ftp://x", model: "m")) }
    }

    @Test func promptTemplates() throws {
        let template = try PromptTemplate("{{literal}} {a} and {b} and {a}")
        #expect(template.variables == ["a", "b"])
        #expect(try template.render(["a": "1", "b": "{x}"]) == "{literal} 1 and {x} and 1")
        #expect(throws: PromptTemplate.Error.missingVariable("b")) { try template.render(["a": "1"]) }
        #expect(throws: PromptTemplate.Error.unbalancedBrace(offset: 4)) { try PromptTemplate("abc {x") }
        #expect(throws: PromptTemplate.Error.unbalancedBrace(offset: 1)) { try PromptTemplate("a}b") }
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = RequestPolicy(initialBackoff: .milliseconds(100), multiplier: 3, maxBackoff: .seconds(1))
        #expect(policy.backoff(after: 1, retryAfter: nil) == .milliseconds(100))
        #expect(policy.backoff(after: 2, retryAfter: nil) == .milliseconds(300))
        #expect(policy.backoff(after: 3, retryAfter: nil) == .milliseconds(900))
        #expect(policy.backoff(after: 4, retryAfter: nil) == .seconds(1))
        #expect(policy.backoff(after: 1, retryAfter: .milliseconds(500)) == .milliseconds(500))
        #expect(policy.backoff(after: 1, retryAfter: .seconds(30)) == .seconds(1))
    }
}
