/// A reward computation over one step: what the agent did (`Action`) and what it led to
/// (`Observation`), the RFC 004 rubric of OpenEnv as a Swift value.
///
/// Rubrics compose into trees: leaves score something (``RubricFunction``,
/// ``ExactMatch``, ``NumericMatch``, ``LLMJudge``, ``RewardService``), containers combine
/// named children (``WeightedSum``, ``Gate``, ``Sequential``, ``Maximum``). Evaluating the
/// root gives a ``RubricScore``: the reward plus every named component's score, which an
/// environment puts into the observation's metadata for trainers to log.
///
/// The `Observation` a rubric sees need not be the wire observation: an environment may
/// pass whatever it grades against (the reference answer of a task, a test report).
///
/// Contract: ``score(_:_:)`` returns a value inside ``range``; ``evaluate(_:_:)`` checks
/// that, so a non-finite or out-of-range score is a thrown ``RubricError``, never a reward.
public protocol Rubric<Action, Observation>: Sendable {
    associatedtype Action: Sendable
    associatedtype Observation: Sendable

    /// The range every score of this rubric lies in. Defaults to `0...1`.
    var range: ClosedRange<Double> { get }

    /// Computes the score. Containers include their children's components; leaves
    /// usually return a bare value. Call ``evaluate(_:_:)`` rather than this.
    func score(_ action: Action, _ observation: Observation) async throws -> RubricScore
}

extension Rubric {
    public var range: ClosedRange<Double> { 0...1 }

    /// Scores a step and checks the score: a non-finite value or one outside ``range``
    /// throws ``RubricError``. Errors of the rubric itself (a judge that cannot be
    /// reached) propagate unchanged.
    public func evaluate(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let result = try await score(action, observation)
        try RubricError.check(result.value, in: range)
        return result
    }
}

/// A rubric under a name inside a container: the name becomes the path of its score in
/// ``RubricScore/components`` (`"format"`, `"answer.judge"`).
public struct NamedRubric<Action: Sendable, Observation: Sendable>: Sendable {
    public var name: String
    public var rubric: any Rubric<Action, Observation>

    public init(_ name: String, _ rubric: some Rubric<Action, Observation>) {
        self.name = name
        self.rubric = rubric
    }

    /// Evaluates the child; any failure comes back as a ``RubricFailure`` naming its path.
    func evaluate(_ action: Action, _ observation: Observation) async throws(RubricFailure) -> RubricScore {
        do {
            return try await rubric.evaluate(action, observation)
        } catch let failure as RubricFailure {
            throw failure.under(name)
        } catch {
            throw RubricFailure(path: name, underlying: error)
        }
    }
}

/// Checks a container's configuration: non-empty, unique, dot-free names.
func validateNames(_ names: [String], in container: String) throws(RubricError) {
    guard !names.isEmpty else { throw .invalidConfiguration("\(container) needs at least one rubric") }
    var seen: Set<String> = []
    for name in names {
        guard !name.isEmpty, !name.contains(".") else {
            throw .invalidConfiguration("\(container): rubric name '\(name)' must be non-empty and contain no '.'")
        }
        guard seen.insert(name).inserted else { throw .invalidConfiguration("\(container): duplicate rubric name '\(name)'") }
    }
}
