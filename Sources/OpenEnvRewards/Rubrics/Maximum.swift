/// The best score among named alternatives, tried in order: cheap checks first, an
/// expensive judge only when they did not already give full marks.
///
/// ```swift
/// let answer = try Maximum<Answer, Task>([
///     NamedRubric("exact", ExactMatch(...)),
///     NamedRubric("numeric", NumericMatch(...)),
///     NamedRubric("judge", judge),
/// ])   // the judge runs only when neither match scores 1
/// ```
///
/// Evaluation stops at the first score that reaches `stopAt` (by default the upper bound
/// of the range); alternatives after it are not evaluated and absent from the components.
public struct Maximum<Action: Sendable, Observation: Sendable>: Rubric {
    public let alternatives: [NamedRubric<Action, Observation>]
    public let range: ClosedRange<Double>
    public let stopAt: Double

    public init(_ alternatives: [NamedRubric<Action, Observation>], stopAt: Double? = nil) throws(RubricError) {
        try validateNames(alternatives.map(\.name), in: "Maximum")
        self.alternatives = alternatives
        let lower = alternatives.map(\.rubric.range.lowerBound).min()!
        let upper = alternatives.map(\.rubric.range.upperBound).max()!
        range = lower...upper
        self.stopAt = stopAt ?? upper
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        var result = RubricScore(-Double.infinity)
        for alternative in alternatives {
            let score = try await alternative.evaluate(action, observation)
            result.components += score.components(under: alternative.name)
            result.notes += score.notes
            result.value = max(result.value, score.value)
            if score.value >= stopAt { break }
        }
        return result
    }
}
