/// A leaf rubric from a closure: the quickest way to score one aspect of a step.
///
/// ```swift
/// let short = RubricFunction<Answer, Grading> { action, _ in action.text.count <= 200 ? 1 : 0 }
/// ```
public struct RubricFunction<Action: Sendable, Observation: Sendable>: Rubric {
    public let range: ClosedRange<Double>
    private let body: @Sendable (Action, Observation) async throws -> Double

    public init(range: ClosedRange<Double> = 0...1, _ body: @escaping @Sendable (Action, Observation) async throws -> Double) {
        self.range = range
        self.body = body
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        RubricScore(try await body(action, observation))
    }
}
