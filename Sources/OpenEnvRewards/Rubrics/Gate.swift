/// A threshold on one named child: its score when it reaches `threshold`, else the
/// range's lower bound (0 for `0...1`). Hard constraints: "must pass half the tests".
///
/// The child's own score stays visible as a component under its name.
public struct Gate<Action: Sendable, Observation: Sendable>: Rubric {
    public let child: NamedRubric<Action, Observation>
    public let threshold: Double

    public var range: ClosedRange<Double> { child.rubric.range }

    public init(_ name: String, threshold: Double = 1, _ rubric: some Rubric<Action, Observation>) throws(RubricError) {
        try validateNames([name], in: "Gate")
        guard threshold.isFinite else { throw .invalidConfiguration("Gate '\(name)': threshold \(threshold)") }
        child = NamedRubric(name, rubric)
        self.threshold = threshold
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let inner = try await child.evaluate(action, observation)
        let value = inner.value >= threshold ? inner.value : range.lowerBound
        return RubricScore(value, components: inner.components(under: child.name), notes: inner.notes)
    }
}
