import OpenEnvCore

/// The report on a running server, in the reference's shape (spec §9.4):
/// `{"target", "validation_type": "running_environment", "standard_version",
/// "standard_profile", "mode", "passed", "summary", "criteria"}`, with `"level"` added
/// and the criteria of the levels above `static` after the reference's six.
public struct RunningEnvironmentReport: Sendable {
    public var target: String
    public var level: ValidationLevel
    /// `info.version` of `/openapi.json`, or `unknown`.
    public var standardVersion = "unknown"
    /// `simulation`, `production` or `unknown`, from the OpenAPI paths.
    public var mode = "unknown"
    public var criteria: [Criterion] = []
    /// When the previous criterion was recorded: each check's duration is the time since.
    private var mark = ContinuousClock.now

    public init(target: String, level: ValidationLevel) {
        self.target = target
        self.level = level
    }

    /// Records a finished check, timed from the previous one (checks run one after another).
    mutating func append(_ criterion: Criterion) {
        let now = ContinuousClock.now
        var criterion = criterion
        let elapsed = (now - mark).components
        criterion.duration = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        mark = now
        criteria.append(criterion)
    }

    public var standardProfile: String { standardVersion.hasPrefix("1.") ? "openenv-http/1.x" : "openenv-http/unknown" }

    /// Every required criterion passed (skipped ones are not required).
    public var passed: Bool { criteria.allSatisfy { !$0.required || $0.passed } }

    public func criterion(_ id: String) -> Criterion? { criteria.first { $0.id == id } }

    public var json: JSONValue {
        let required = criteria.filter(\.required)
        let summary: JSONObject = [
            "passed_count": .int(criteria.count(where: \.passed)),
            "total_count": .int(criteria.count),
            "failed_criteria": .array(criteria.filter { $0.outcome == .fail }.map { .string($0.id) }),
            "required_passed_count": .int(required.count(where: \.passed)),
            "required_total_count": .int(required.count),
            "skipped_criteria": .array(criteria.filter { $0.outcome == .skip }.map { .string($0.id) }),
        ]
        return [
            "target": .string(target), "validation_type": "running_environment", "standard_version": .string(standardVersion),
            "standard_profile": .string(standardProfile), "mode": .string(mode), "level": .string(level.rawValue), "passed": .bool(passed),
            "summary": .object(summary), "criteria": .array(criteria.map(\.json)),
        ]
    }

    /// The reference's text rendering: one `PASS`/`FAIL`/`SKIP` line per criterion, with
    /// details, expected and actual values under each one that did not pass.
    public var text: String {
        var lines = [
            "Validation report for \(target) (profile: \(standardProfile))",
            "  standard version: \(standardVersion) · mode: \(mode) · level: \(level.rawValue)",
        ]
        for criterion in criteria {
            lines.append("  \(criterion.outcome.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) \(criterion.id)")
            guard !criterion.passed else { continue }
            if let details = criterion.details {
                for line in details.split(separator: "\n") { lines.append("          \(line)") }
            }
            if criterion.outcome == .fail {
                if let expected = criterion.expected { lines.append("          expected: \(JSONWriter().string(expected))") }
                if let actual = criterion.actual { lines.append("          actual: \(JSONWriter().string(actual))") }
            }
        }
        lines.append("Verdict: \(passed ? "PASS" : "FAIL")")
        return lines.joined(separator: "\n")
    }
}
