import OpenEnvCore

/// A rubric whose reward depends on the whole episode: a game won or lost, a plan that
/// worked or not. Steps get ``intermediateReward`` until the episode ends; the final step
/// gets the episode's score, and ``CreditAssignment`` spreads that score back over every
/// step (delivered with the final step, for trainers that do their own credit assignment).
///
/// ```swift
/// actor Chess: Environment {
///     var trajectory = Trajectory<Move, Board>()
///     let outcome = TrajectoryFunction<Move, Board>(credit: .discounted(gamma: 0.99)) { t in
///         t.steps.last!.observation.winner == .agent ? 1 : 0
///     }
///     func step(_ move: Move) async throws -> StepResult<Board> {
///         let board = play(move)
///         trajectory.append(move, board, done: board.isOver)
///         let reward = try await outcome.evaluate(trajectory)
///         return StepResult(board, reward: .double(reward.value), done: board.isOver,
///                           metadata: ["rubric": reward.metadata])
///     }
/// }
/// ```
public protocol TrajectoryRubric<Action, Observation>: Sendable {
    associatedtype Action: Sendable
    associatedtype Observation: Sendable

    /// The range of episode scores. Defaults to `0...1`.
    var range: ClosedRange<Double> { get }
    /// How the final score is credited to the steps. Defaults to ``CreditAssignment/finalStep``.
    var credit: CreditAssignment { get }
    /// The reward of every step before the last. Defaults to 0.
    var intermediateReward: Double { get }

    /// Scores a complete episode (the trajectory's last step has `done`).
    func scoreEpisode(_ trajectory: Trajectory<Action, Observation>) async throws -> RubricScore
}

extension TrajectoryRubric {
    public var range: ClosedRange<Double> { 0...1 }
    public var credit: CreditAssignment { .finalStep }
    public var intermediateReward: Double { 0 }

    /// The reward for the trajectory's latest step: ``intermediateReward`` while the
    /// episode goes on, then the checked episode score with per-step credits. A
    /// non-finite or out-of-range episode score throws ``RubricError``.
    public func evaluate(_ trajectory: Trajectory<Action, Observation>) async throws -> TrajectoryReward {
        if case .discounted(let gamma) = credit, !(0...1).contains(gamma) {
            throw RubricError.invalidConfiguration("discount factor \(gamma) is outside 0...1")
        }
        guard trajectory.isComplete else { return .intermediate(intermediateReward) }
        let score = try await scoreEpisode(trajectory)
        try RubricError.check(score.value, in: range)
        return .final(score, stepRewards: credit.stepRewards(final: score.value, steps: trajectory.count))
    }
}

/// The reward a ``TrajectoryRubric`` assigns to the latest step.
public enum TrajectoryReward: Sendable, Equatable {
    /// The episode goes on.
    case intermediate(Double)
    /// The episode ended with `score`; `stepRewards[t]` is step `t`'s credit.
    case final(RubricScore, stepRewards: [Double])

    /// The reward to send with the step.
    public var value: Double {
        switch self {
        case .intermediate(let value): value
        case .final(let score, _): score.value
        }
    }

    /// For observation metadata: `{"score", "components", "step_rewards"}` at the end of
    /// the episode, `{"pending": true}` before.
    public var metadata: JSONValue {
        switch self {
        case .intermediate: return ["pending": true]
        case .final(let score, let stepRewards):
            guard case .object(var object) = score.metadata else { return score.metadata }
            object["step_rewards"] = .array(stepRewards.map(JSONValue.double))
            return .object(object)
        }
    }
}

/// A trajectory rubric from a closure.
public struct TrajectoryFunction<Action: Sendable, Observation: Sendable>: TrajectoryRubric {
    public let range: ClosedRange<Double>
    public let credit: CreditAssignment
    public let intermediateReward: Double
    private let body: @Sendable (Trajectory<Action, Observation>) async throws -> Double

    public init(
        range: ClosedRange<Double> = 0...1, credit: CreditAssignment = .finalStep, intermediateReward: Double = 0,
        _ body: @escaping @Sendable (Trajectory<Action, Observation>) async throws -> Double
    ) {
        self.range = range
        self.credit = credit
        self.intermediateReward = intermediateReward
        self.body = body
    }

    public func scoreEpisode(_ trajectory: Trajectory<Action, Observation>) async throws -> RubricScore {
        RubricScore(try await body(trajectory))
    }
}
