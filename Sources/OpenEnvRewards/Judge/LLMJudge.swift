import OpenEnvChatClient
import OpenEnvCore

/// A rubric that asks a language model to grade a step: the prompt template is filled
/// from the action and observation, sent to a chat-completions endpoint, and the score
/// parsed from the reply.
///
/// ```swift
/// let client = try ChatCompletionsClient(.fromEnvironment())
/// let judge = try LLMJudge<QAAction, QATask>(client: client, template: PromptTemplate("""
///     Question: {question}
///     Reference: {reference}
///     Answer: {answer}
///     Is the answer correct? Reply with 1 for yes, 0 for no.
///     """)) { action, task in ["question": task.question, "reference": task.answer, "answer": action.answer] }
/// ```
///
/// Failures (the endpoint unreachable or failing after the policy's retries, a reply
/// without a usable score) throw, unless a ``fallbackScore`` is configured: then the
/// score is the fallback and ``RubricScore/notes`` says why. Never a silent zero. A
/// template placeholder without a value always throws (a bug, not a judge failure).
public struct LLMJudge<Action: Sendable, Observation: Sendable>: Rubric {
    public let client: ChatCompletionsClient
    public let template: PromptTemplate
    public let parser: ScoreParser
    public let fallbackScore: Double?
    private let variables: @Sendable (Action, Observation) throws -> [String: String]

    public var range: ClosedRange<Double> { parser.range }

    /// Throws ``RubricError/invalidConfiguration(_:)`` for a fallback outside the parser's range.
    public init(
        client: ChatCompletionsClient, template: PromptTemplate, parser: ScoreParser? = nil, fallbackScore: Double? = nil,
        variables: @escaping @Sendable (Action, Observation) throws -> [String: String]
    ) throws(RubricError) {
        let parser = parser ?? (try! ScoreParser())
        if let fallbackScore { try RubricError.check(fallbackScore, in: parser.range) }
        self.client = client
        self.template = template
        self.parser = parser
        self.fallbackScore = fallbackScore
        self.variables = variables
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let prompt = try template.render(try variables(action, observation))
        do {
            let reply = try await client.complete(prompt: prompt)
            return RubricScore(try parser.parse(reply))
        } catch let error where !(error is CancellationError) {
            guard let fallbackScore else { throw error }
            return RubricScore(fallbackScore, notes: ["LLM judge fell back to \(fallbackScore): \(error)"])
        }
    }
}

extension LLMJudge where Action: Encodable, Observation: Encodable {
    /// A judge whose template uses `{action}` and `{observation}`, filled with their
    /// compact wire JSON (snake_case keys).
    public init(client: ChatCompletionsClient, template: PromptTemplate, parser: ScoreParser? = nil, fallbackScore: Double? = nil) throws(RubricError) {
        try self.init(client: client, template: template, parser: parser, fallbackScore: fallbackScore) { action, observation in
            let encoder = JSONValueEncoder()
            return ["action": JSONWriter().string(try encoder.encode(action)),
                    "observation": JSONWriter().string(try encoder.encode(observation))]
        }
    }
}
