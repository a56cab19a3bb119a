/// The weighted sum of named children, evaluated concurrently: multi-criteria rewards.
///
/// ```swift
/// let reward = try WeightedSum<Answer, Grading>([
///     .init("correct", weight: 0.8, ExactMatch(...)),
///     .init("format", weight: 0.2, FormatCheck()),
/// ])
/// ```
///
/// Its ``range`` is derived from the children's ranges and the weights (`0...1` for
/// weights summing to 1 over `0...1` children), so the sum is checked like any score.
/// If a child fails, the others are cancelled and the failure (naming the child) is thrown.
public struct WeightedSum<Action: Sendable, Observation: Sendable>: Rubric {
    /// A child and its weight.
    public struct Term: Sendable {
        public var child: NamedRubric<Action, Observation>
        public var weight: Double

        public init(_ name: String, weight: Double, _ rubric: some Rubric<Action, Observation>) {
            child = NamedRubric(name, rubric)
            self.weight = weight
        }
    }

    public let terms: [Term]
    public let range: ClosedRange<Double>

    /// Throws ``RubricError/invalidConfiguration(_:)`` for no terms, duplicate or dotted
    /// names, or a non-finite weight.
    public init(_ terms: [Term]) throws(RubricError) {
        try validateNames(terms.map(\.child.name), in: "WeightedSum")
        if let bad = terms.first(where: { !$0.weight.isFinite }) {
            throw .invalidConfiguration("WeightedSum: weight of '\(bad.child.name)' is \(bad.weight)")
        }
        self.terms = terms
        var lower = 0.0
        var upper = 0.0
        for term in terms {
            let a = term.weight * term.child.rubric.range.lowerBound
            let b = term.weight * term.child.rubric.range.upperBound
            lower += min(a, b)
            upper += max(a, b)
        }
        range = lower...upper
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let scores = try await withThrowingTaskGroup(of: (Int, RubricScore).self) { group in
            for (index, term) in terms.enumerated() {
                group.addTask { (index, try await term.child.evaluate(action, observation)) }
            }
            var scores = [RubricScore?](repeating: nil, count: terms.count)
            for try await (index, score) in group { scores[index] = score }
            return scores.map { $0! }
        }
        var total = 0.0
        var result = RubricScore(0)
        for (term, score) in zip(terms, scores) {
            total += term.weight * score.value
            result.components += score.components(under: term.child.name)
            result.notes += score.notes
        }
        result.value = total
        return result
    }
}
