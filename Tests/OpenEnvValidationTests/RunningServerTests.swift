import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import OpenEnvTestSupport
import Testing

@testable import OpenEnvValidation

/// `Validator.validate(url:)` against swift-openenv servers run in-process: the built-in
/// environments, a well-behaved test task, and environments broken on purpose, each of
/// which must fail exactly the criterion that describes its defect.
@Suite struct RunningServerTests {
    static func validate(_ factory: EnvironmentFactory, level: ValidationLevel = .semantic, maxSessions: Int = 4,
                         declaration: ValidationDeclaration? = nil) async throws -> RunningEnvironmentReport {
        var configuration = ServerConfiguration()
        configuration.maxSessions = maxSessions
        return try await withInProcessServer(factory, configuration: configuration) { port in
            var options = ValidationOptions(level: level)
            options.budget = 150
            return try await Validator.validate(url: "http://127.0.0.1:\(port)/", options: options, declaration: declaration)
        }
    }

    static let referenceSix = ["openapi_version_available", "health_endpoint", "metadata_endpoint", "schema_endpoint", "mcp_endpoint", "mode_endpoint_consistency"]

    static func outcomes(_ report: RunningEnvironmentReport) -> [String: Criterion.Outcome] {
        Dictionary(uniqueKeysWithValues: report.criteria.map { ($0.id, $0.outcome) })
    }

    @Test func staticLevelIsTheReferenceProbe() async throws {
        let report = try await Self.validate(EnvironmentFactory { GridEnvironment() }, level: .static)
        #expect(report.criteria.map(\.id) == Self.referenceSix)
        #expect(report.passed && report.mode == "simulation" && report.standardProfile == "openenv-http/1.x")
        let json = report.json
        #expect(json["validation_type"] == "running_environment")
        #expect(json["summary"]?["required_total_count"] == 6 && json["summary"]?["failed_criteria"] == [])
        #expect(json["target"]?.stringValue?.hasSuffix("/") == false)
        #expect(report.criteria.allSatisfy { $0.duration >= 0 } && report.criteria.reduce(0) { $0 + $1.duration } > 0)
    }

    @Test func gridPassesEveryLevel() async throws {
        let report = try await Self.validate(EnvironmentFactory { GridEnvironment() })
        #expect(report.passed, "\(report.text)")
        let outcomes = Self.outcomes(report)
        for id in ["runtime.startup", "runtime.observation_schema", "runtime.state_contract", "runtime.reward_well_formed",
                   "protocol.invalid_json", "protocol.unknown_type", "protocol.invalid_action", "protocol.session_isolation",
                   "protocol.capacity", "protocol.close", "semantic.seed_determinism", "semantic.seed_sensitivity", "semantic.reward_range",
                   "semantic.done_reachable", "semantic.floor_gap", "semantic.episode_isolation", "semantic.session_cleanup"] {
            #expect(outcomes[id] == .pass, "\(id): \(report.criterion(id)?.details ?? "missing")")
        }
    }

    @Test func echoHasNoRewardsToSpeakOf() async throws {
        let report = try await Self.validate(EnvironmentFactory { EchoEnvironment() })
        let outcomes = Self.outcomes(report)
        for id in Self.referenceSix + ["runtime.startup", "runtime.observation_schema", "runtime.state_contract", "protocol.invalid_json",
                                       "protocol.invalid_action", "protocol.session_isolation", "protocol.capacity", "protocol.close",
                                       "semantic.seed_determinism", "semantic.episode_isolation", "semantic.session_cleanup"] {
            #expect(outcomes[id] == .pass, "\(id): \(report.criterion(id)?.details ?? "missing")")
        }
        // Echo's step rewards are null, it ignores the seed and never ends: not an RL task.
        for id in ["runtime.reward_well_formed", "semantic.reward_range", "semantic.seed_sensitivity", "semantic.done_reachable"] {
            #expect(outcomes[id] == .fail, "\(id)")
        }
        #expect(outcomes["semantic.floor_gap"] == .skip)
        #expect(!report.passed)
    }

    @Test func aWellBehavedTaskPasses() async throws {
        let report = try await Self.validate(EnvironmentFactory { CounterEnvironment() })
        #expect(report.passed, "\(report.text)")
    }

    @Test func rewardForAnEmptyActionFailsTheFloorGap() async throws {
        let report = try await Self.validate(EnvironmentFactory { FreeRewardEnvironment() })
        let floor = try #require(report.criterion("semantic.floor_gap"))
        #expect(floor.outcome == .fail)
        #expect(floor.details?.contains("the empty/no-op action {} earned reward 1.0") == true, "\(floor.details ?? "")")
        #expect(report.criteria.filter { $0.outcome == .fail }.map(\.id) == ["semantic.floor_gap"], "\(report.text)")
    }

    @Test func ignoringTheSeedFailsSeedSensitivity() async throws {
        let report = try await Self.validate(EnvironmentFactory { SeedIgnoringEnvironment() })
        #expect(report.criterion("semantic.seed_sensitivity")?.outcome == .fail)
        #expect(report.criterion("semantic.seed_sensitivity")?.details?.contains("ignores the seed") == true)
        #expect(report.criteria.filter { $0.outcome == .fail }.map(\.id) == ["semantic.seed_sensitivity"], "\(report.text)")
    }

    @Test func sharedStateFailsEpisodeIsolation() async throws {
        let report = try await Self.validate(EnvironmentFactory { LeakyEnvironment() })
        #expect(report.criterion("semantic.seed_determinism")?.outcome == .pass, "\(report.text)")
        #expect(report.criterion("semantic.episode_isolation")?.outcome == .fail, "\(report.text)")
    }

    @Test func anObservationOutsideItsSchemaFailsTheRuntimeLevel() async throws {
        let report = try await Self.validate(EnvironmentFactory { SchemaLyingEnvironment() }, level: .runtime)
        let check = try #require(report.criterion("runtime.observation_schema"))
        #expect(check.outcome == .fail)
        #expect(check.details?.contains("unexpected property 'surprise'") == true, "\(check.details ?? "")")
        #expect(report.criterion("runtime.state_contract")?.outcome == .pass)
    }

    @Test func aDeclaredRangeAndVarianceChangeTheVerdicts() async throws {
        var declaration = try #require(Manifest.parse(yaml: ManifestTests.valid).validation)
        declaration.reward.range = 0...0.5
        declaration.reward.varianceTolerance = 0.1
        let report = try await Self.validate(EnvironmentFactory { CounterEnvironment() }, declaration: declaration)
        #expect(report.criterion("semantic.reward_range")?.outcome == .fail)
        #expect(report.criterion("semantic.reward_range")?.details?.contains("reward 1.0 is outside the range") == true)
        #expect(report.criterion("semantic.seed_sensitivity")?.outcome == .skip)
        #expect(report.criterion("semantic.seed_determinism")?.description.contains("variance_tolerance 0.1") == true)
    }

    @Test func anUnreachableServerFailsEveryCriterionWithTheReason() async throws {
        var options = ValidationOptions(level: .runtime)
        options.timeout = .seconds(1)
        let report = try await Validator.validate(url: "127.0.0.1:9", options: options)
        #expect(report.target == "http://127.0.0.1:9")
        #expect(!report.passed)
        #expect(report.criterion("health_endpoint")?.details?.hasPrefix("Request failed: ") == true)
        #expect(report.criterion("runtime.startup")?.outcome == .fail)
        #expect(report.criterion("runtime.state_contract")?.outcome == .skip)
        await #expect(throws: (any Error).self) { try await Validator.validate(url: "  ", options: options) }
    }
}
