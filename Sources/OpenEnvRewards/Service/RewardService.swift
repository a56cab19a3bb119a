import OpenEnvChatClient
import OpenEnvCore

/// A rubric whose scores come from an external HTTP service: it POSTs the step (as a
/// ``Rubric``) or the whole episode (as a ``TrajectoryRubric``) and reads the score back.
///
/// The JSON contract (docs/rewards.md), with actions and observations in their wire form
/// (snake_case keys):
///
/// ```text
/// POST <url>   Content-Type: application/json   [Authorization: Bearer <token>]
///   step:     {"kind": "step", "action": {…}, "observation": {…}}
///   episode:  {"kind": "episode", "steps": [{"action": {…}, "observation": {…}, "done": false}, …]}
/// 200 reply:  {"score": 0.75, "components": {"tests": 1.0, "style": 0.25}}
/// ```
///
/// `score` is required and must be a finite number in ``range``; `components` is
/// optional (numbers only) and becomes the score's components; other keys are ignored.
/// Non-2xx replies are failures (408, 425, 429 and 5xx are retried under the policy).
/// Failures throw ``EndpointError`` unless a ``fallbackScore`` is set, which is then used
/// and noted in ``RubricScore/notes``.
public struct RewardService<Action: Encodable & Sendable, Observation: Encodable & Sendable>: Rubric, TrajectoryRubric {
    public let configuration: RewardServiceConfiguration
    public let range: ClosedRange<Double>
    public let fallbackScore: Double?
    public let credit: CreditAssignment
    public let intermediateReward: Double
    private let endpoint: JSONEndpoint

    /// Throws ``EndpointError/invalidConfiguration(_:)`` for a URL that is not http(s), and
    /// ``RubricError`` for a fallback outside `range`.
    public init(
        _ configuration: RewardServiceConfiguration, range: ClosedRange<Double> = 0...1, fallbackScore: Double? = nil,
        credit: CreditAssignment = .finalStep, intermediateReward: Double = 0
    ) throws {
        if let fallbackScore { try RubricError.check(fallbackScore, in: range) }
        var headers = configuration.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let token = configuration.bearerToken, !token.isEmpty { headers.append(("Authorization", "Bearer \(token)")) }
        endpoint = try JSONEndpoint(url: configuration.url, headers: headers, policy: configuration.policy)
        self.configuration = configuration
        self.range = range
        self.fallbackScore = fallbackScore
        self.credit = credit
        self.intermediateReward = intermediateReward
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let encoder = JSONValueEncoder()
        let body: JSONValue = ["kind": "step", "action": try encoder.encode(action), "observation": try encoder.encode(observation)]
        return try await request(body)
    }

    public func scoreEpisode(_ trajectory: Trajectory<Action, Observation>) async throws -> RubricScore {
        let encoder = JSONValueEncoder()
        var steps: [JSONValue] = []
        for step in trajectory.steps {
            steps.append(["action": try encoder.encode(step.action), "observation": try encoder.encode(step.observation), "done": .bool(step.done)])
        }
        return try await request(["kind": "episode", "steps": .array(steps)])
    }

    private func request(_ body: JSONValue) async throws -> RubricScore {
        do {
            return try read(try await endpoint.post(body))
        } catch let error where !(error is CancellationError) {
            guard let fallbackScore else { throw error }
            return RubricScore(fallbackScore, notes: ["reward service fell back to \(fallbackScore): \(error)"])
        }
    }

    /// The score in a reply, or ``EndpointError/invalidReply(url:reason:)``.
    private func read(_ reply: JSONValue) throws(EndpointError) -> RubricScore {
        guard let score = reply["score"], score.boolValue == nil, let value = score.doubleValue else {
            throw .invalidReply(url: configuration.url, reason: "no numeric \"score\" in \(JSONWriter().string(reply).prefix(200))")
        }
        guard value.isFinite, range.contains(value) else {
            throw .invalidReply(url: configuration.url, reason: "score \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        var components: [RubricScore.Component] = []
        if let given = reply["components"], !given.isNull {
            guard let object = given.objectValue else {
                throw .invalidReply(url: configuration.url, reason: "\"components\" is not an object")
            }
            for member in object {
                guard member.value.boolValue == nil, let number = member.value.doubleValue, number.isFinite else {
                    throw .invalidReply(url: configuration.url, reason: "component \"\(member.key)\" is not a finite number")
                }
                components.append(RubricScore.Component(member.key, number))
            }
        }
        return RubricScore(value, components: components)
    }
}
