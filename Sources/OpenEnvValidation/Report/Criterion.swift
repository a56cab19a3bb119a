import OpenEnvCore

/// One check of a running server, in the shape of the reference runtime validator's
/// criteria (spec §9.4): `{"id", "description", "passed", "required", "details"?,
/// "expected"?, "actual"?}`.
///
/// A check that could not be run (its prerequisite is missing: no `/ready`, a declared
/// nondeterministic environment…) is `skipped`: it reads `"passed": false,
/// "required": false, "skipped": true` with the reason in `details`, and counts neither
/// as passed nor as failed.
public struct Criterion: Sendable {
    public enum Outcome: String, Sendable { case pass, fail, skip }

    public var id: String
    public var description: String
    public var outcome: Outcome
    public var required: Bool
    public var details: String?
    public var expected: JSONValue?
    public var actual: JSONValue?
    /// Seconds the check took.
    public var duration: Double = 0

    public var passed: Bool { outcome == .pass }

    public init(_ id: String, _ description: String, passed: Bool, details: String? = nil, expected: JSONValue? = nil, actual: JSONValue? = nil) {
        self.id = id
        self.description = description
        self.outcome = passed ? .pass : .fail
        self.required = true
        self.details = details
        self.expected = expected
        self.actual = actual
    }

    public static func skipped(_ id: String, _ description: String, reason: String) -> Criterion {
        var criterion = Criterion(id, description, passed: false, details: reason)
        criterion.outcome = .skip
        criterion.required = false
        return criterion
    }

    public var json: JSONValue {
        var object: JSONObject = ["id": .string(id), "description": .string(description), "passed": .bool(passed), "required": .bool(required)]
        if outcome == .skip { object["skipped"] = true }
        if let details { object["details"] = .string(details) }
        if let expected { object["expected"] = expected }
        if let actual { object["actual"] = actual }
        return .object(object)
    }
}

/// The levels of `openenv validate`, cumulative: each runs the checks of those before it.
public enum ValidationLevel: String, Sendable, CaseIterable, Comparable {
    /// No episode: the manifest and layout of a package; for a URL, the reference's six
    /// HTTP criteria.
    case `static`
    /// One episode over `/ws` (the plan), checked like the reference's runtime level:
    /// observations against `/schema`, the state contract, well-formed rewards.
    case runtime
    /// The `/ws` protocol itself: error codes and recovery, session isolation, capacity
    /// refusal, close semantics.
    case `protocol`
    /// Whether the environment is a usable RL task: determinism under a seed, rewards in
    /// range, `done` reachable, no reward for random or empty actions, no leaks between
    /// sessions, no sessions left behind.
    case semantic

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}
