/// Named stages run in order; the first that fails stops the run. Hierarchical checks:
/// "it parses" before "it passes the tests" before "it is well written".
///
/// A stage fails when it scores its range's lower bound (0 for `0...1`; wrap a stage in
/// a ``Gate`` for a higher bar). The result is then that lower bound of the sequence's
/// range, and the later stages are not evaluated (their components are absent). When
/// every stage passes, the result is the last stage's score.
public struct Sequential<Action: Sendable, Observation: Sendable>: Rubric {
    public let stages: [NamedRubric<Action, Observation>]
    public let range: ClosedRange<Double>

    public init(_ stages: [NamedRubric<Action, Observation>]) throws(RubricError) {
        try validateNames(stages.map(\.name), in: "Sequential")
        self.stages = stages
        range = stages.map(\.rubric.range.lowerBound).min()!...stages[stages.count - 1].rubric.range.upperBound
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        var result = RubricScore(range.lowerBound)
        for stage in stages {
            let score = try await stage.evaluate(action, observation)
            result.components += score.components(under: stage.name)
            result.notes += score.notes
            guard score.value > stage.rubric.range.lowerBound else {
                result.value = range.lowerBound
                return result
            }
            result.value = score.value
        }
        return result
    }
}
