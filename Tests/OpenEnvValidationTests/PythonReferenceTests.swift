import Foundation
import OpenEnvClient
import Testing

@testable import OpenEnvValidation

/// The validator against the official Python server (Tests/Interop/reference_env.py on
/// openenv 0.10.0, found through `$OPENENV_INTEROP_PYTHON`): it has no `/ready`, so the
/// session limit is passed as `--max-sessions` would pass it.
@Suite(.serialized) struct PythonReferenceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func python() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["OPENENV_INTEROP_PYTHON"], !python.isEmpty else {
            throw Missing(description: """
                OPENENV_INTEROP_PYTHON is not set: this test validates the official Python OpenEnv server \
                (Tests/Interop/reference_env.py) and needs a Python with openenv==0.10.0. Run scripts/test, \
                or set OPENENV_INTEROP_PYTHON=$(scripts/interop-venv | tail -n 1).
                """)
        }
        return python
    }

    static func validate(_ env: String, level: ValidationLevel) async throws -> RunningEnvironmentReport {
        let provider = LocalProcessProvider(
            executable: try python(),
            arguments: [repository + "/Tests/Interop/reference_env.py", "--env", env, "--host", "{host}", "--port", "{port}", "--max-sessions", "3"],
            readinessTimeout: .seconds(60))
        let server = try await provider.start()
        var options = ValidationOptions(level: level)
        options.maxSessions = 3
        options.budget = 150
        options.timeout = .seconds(10)
        do {
            let report = try await Validator.validate(url: server.address.httpBase, options: options)
            await server.stop()
            return report
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test func referenceGridPassesEveryLevel() async throws {
        let report = try await Self.validate("grid", level: .semantic)
        #expect(report.passed, "\(report.text)")
        #expect(report.criteria.allSatisfy { $0.outcome == .pass }, "\(report.text)")
    }

    @Test func referenceEchoFailsTheRewardCriteriaAndItsResetSchema() async throws {
        let report = try await Self.validate("echo", level: .semantic)
        let failed = Set(report.criteria.filter { $0.outcome == .fail }.map(\.id))
        // Besides the rewards: the reference echo app publishes CallToolObservation as its
        // reset_observation, which its own reset replies (no tool_name) do not satisfy
        // (spec §1.8, §12.1) — its own runtime validator fails it the same way.
        #expect(failed == ["runtime.observation_schema", "runtime.reward_well_formed", "semantic.reward_range", "semantic.seed_sensitivity", "semantic.done_reachable"],
                "\(report.text)")
        #expect(report.criterion("runtime.observation_schema")?.details?.contains("exchange 0 (reset): schema mismatch at required (required): /: missing properties: 'tool_name'") == true)
        #expect(report.criterion("protocol.capacity")?.outcome == .pass, "\(report.text)")
        #expect(report.criterion("semantic.session_cleanup")?.outcome == .pass, "\(report.text)")
    }
}
