import OpenEnvCore

/// The report on an environment package directory, in the reference's shape (spec §9.3,
/// its `report.schema.json` / report v2): `{"report_schema_version", "target",
/// "source_digest", "signature", "manifest", "policy_version", "lane", "levels_run",
/// "results": [{"check_id", "status", "measured", "evidence", "remediation",
/// "duration_s"}], "verdict"}`.
public struct PackageReport: Sendable {
    public enum Status: String, Sendable { case pass, fail, skip, error }
    public enum Verdict: String, Sendable { case pass, warn, fail }

    public struct CheckResult: Sendable {
        public var checkID: String
        public var status: Status
        public var measured: JSONObject = [:]
        public var evidence: [String] = []
        public var remediation: String?
        public var duration: Double = 0

        public var json: JSONValue {
            ["check_id": .string(checkID), "status": .string(status.rawValue), "measured": .object(measured),
             "evidence": .array(evidence.map(JSONValue.string)), "remediation": remediation.map(JSONValue.string) ?? .null,
             "duration_s": .double(duration)]
        }
    }

    public var target: String
    public var sourceDigest: String
    /// The normalized manifest, `nil` when the manifest failed its schema.
    public var manifest: JSONValue?
    /// `"2"` for runtime runs and manifests with `validation.execution`, as the reference.
    public var schemaVersion: String
    public var levelsRun: [Int]
    public var results: [CheckResult] = []

    /// Check ids whose failure only warns (the reference's severity policy v2).
    static let warnOnly: Set<String> = ["static.layout", "static.image_hygiene", "runtime.rubric_introspectable", "runtime.trajectory_record", "runtime.reward_attribution"]

    public func result(_ id: String) -> CheckResult? { results.first { $0.checkID == id } }

    /// `fail` when a check errored or a fail-severity check failed; `warn` when something
    /// was skipped or only warn-severity checks failed; else `pass`.
    public var verdict: Verdict {
        var verdict = Verdict.pass
        for result in results {
            switch result.status {
            case .error: return .fail
            case .fail: if !Self.warnOnly.contains(result.checkID) { return .fail } else { verdict = .warn }
            case .skip: verdict = .warn
            case .pass: break
            }
        }
        return verdict
    }

    public var json: JSONValue {
        ["report_schema_version": .string(schemaVersion), "target": .string(target), "source_digest": .string(sourceDigest),
         "signature": "openenv.yaml", "manifest": manifest ?? .null, "policy_version": "v2", "lane": "local",
         "levels_run": .array(levelsRun.map(JSONValue.int)), "results": .array(results.map(\.json)), "verdict": .string(verdict.rawValue)]
    }

    public var text: String {
        let names = [1: "static", 2: "runtime", 3: "semantic"]
        var lines = [
            "Validation report for \(target) (signature: openenv.yaml)",
            "  policy v2 · levels run: " + levelsRun.map { names[$0] ?? "\($0)" }.joined(separator: ", "),
        ]
        for result in results {
            lines.append("  \(result.status.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) \(result.checkID) (\(String(format2: result.duration))s)")
            if result.status != .pass {
                for line in result.evidence.flatMap({ $0.split(separator: "\n") }) { lines.append("          \(line)") }
                if let remediation = result.remediation { lines.append("          remediation: \(remediation)") }
            }
        }
        lines.append("Verdict: \(verdict.rawValue.uppercased())")
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// `value` with two decimals.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100).\(String(format: hundredths % 100))"
    }

    private init(format value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
