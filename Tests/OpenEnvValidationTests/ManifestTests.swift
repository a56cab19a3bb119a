import Foundation
import OpenEnvCore
import Testing

@testable import OpenEnvValidation

@Suite struct ManifestTests {
    static let valid = """
        spec_version: 1
        name: counter_env
        version: "0.1.0"
        type: space
        runtime: swift
        port: 8000
        variables:
          LOG_LEVEL: info
        validation:
          reward:
            range: [0, 1]
            oracle_tolerance: 0.0
            floor_margin: 0.5
          resources: {cpu: 1, memory_mb: 512, disk_mb: 256, episode_timeout_s: 60}
          capabilities:
            verifier: {kind: reward_channel}
          types:
            tags: [toy]
        """

    @Test func readsTheReferenceValidationBlockWithItsDefaults() throws {
        let manifest = Manifest.parse(yaml: Self.valid)
        #expect(manifest.errors.isEmpty)
        #expect(manifest.name == "counter_env" && manifest.version == "0.1.0" && manifest.port == 8000)
        #expect(manifest.variables.map(\.key) == ["LOG_LEVEL"])
        let declaration = try #require(manifest.validation)
        #expect(declaration.reward.range == 0...1 && declaration.reward.floorMargin == 0.5)
        #expect(declaration.resources.memoryMB == 512 && declaration.resources.episodeTimeout == 60)
        #expect(declaration.networkMode == "public" && declaration.execution == nil)
        let normalized = declaration.normalized
        #expect(normalized["manifest_schema_version"] == "1")
        #expect(normalized["capabilities"]?["verifier"] == ["kind": "reward_channel", "entry": nil])
        #expect(normalized["capabilities"]?["set_state"] == false)
        #expect(normalized["resources"]?["gpus"] == 0)
    }

    @Test func givesOnePreciseMessagePerProblem() {
        let yaml = """
            name: bad
            validation:
              reward:
                rnage: [0, 1]
                range: [1, 0]
              resources: {cpu: 0, memory_mb: "lots", disk_mb: 1}
              capabilities:
                verifier: {kind: script}
                oracle: {form: injected_state, location: oracle.json}
              types: {tags: []}
            """
        let manifest = Manifest.parse(yaml: yaml)
        #expect(manifest.validation == nil)
        let errors = manifest.errors
        #expect(errors.contains("validation.reward.rnage: unknown key (did you mean 'range'?); allowed keys: range, oracle_tolerance, floor_margin, variance_tolerance"))
        #expect(errors.contains("validation.reward.floor_margin: field required"))
        #expect(errors.contains("validation.reward.range: must be strictly increasing, got [1.0, 0.0]"))
        #expect(errors.contains("validation.resources.episode_timeout_s: field required"))
        #expect(errors.contains("validation.resources.cpu: must be greater than 0.0, got 0.0"))
        #expect(errors.contains("validation.resources.memory_mb: must be an integer, got string \"lots\""))
        #expect(errors.contains("validation.capabilities.verifier.entry: required when verifier.kind is 'script'"))
        #expect(errors.contains { $0.hasPrefix("validation.capabilities.oracle.form: 'injected_state' requires the set_state capability") })
        #expect(errors.contains("validation.types.tags: must list at least one tag"))
        #expect(manifest.remediation != nil)
    }

    @Test func aMissingValidationBlockSaysSoAndSpotsMisspellings() {
        let missing = Manifest.parse(yaml: "name: x\nvalidaton: {}\n")
        #expect(missing.errors == ["validation: openenv.yaml has no `validation:` block (found 'validaton': a misspelling?)"])
        #expect(missing.remediation?.contains("openenv init") == true)
        #expect(Manifest.parse(yaml: "- a\n- b\n").errors.first?.hasPrefix("openenv.yaml must be a YAML mapping") == true)
        #expect(Manifest.parse(yaml: "name: [unclosed\n").errors.first?.hasPrefix("openenv.yaml is not valid YAML") == true)
    }

    @Test func runtimePlansAreCheckedLikeTheReference() throws {
        let plan = try RuntimePlan.parse(try JSONParser.parse(#"{"plan_schema_version":"1","reset":{"episode_id":"e","seed":3,"options":{"level":2}},"actions":[{"move":"up"}]}"#))
        #expect(plan.resetData == ["level": 2, "seed": 3, "episode_id": "e"])
        #expect(throws: PlanError.self) { try RuntimePlan.parse(try JSONParser.parse(#"{"plan_schema_version":"1","reset":{"episode_id":"e","seed":-1},"actions":[]}"#)) }
        do {
            _ = try RuntimePlan.parse(try JSONParser.parse(#"{"plan_schema_version":"2","reset":{"episode_id":"","seed":1,"options":{"seed":2}},"actions":[1],"x":1}"#))
            Issue.record("an invalid plan was accepted")
        } catch {
            for part in ["x: unknown key", "plan_schema_version", "reset.episode_id", "reset.options: cannot override", "actions.0: must be an object"] {
                #expect("\(error)".contains(part), "\(part)")
            }
        }
    }

    @Test func packageDirectoriesAreRecognizedByTheirWellKnownFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-validate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: PackageError.self) { try Manifest.load(directory: directory) }
        try "name = 'x'".write(toFile: directory + "/task.toml", atomically: true, encoding: .utf8)
        do { _ = try Manifest.load(directory: directory); Issue.record("accepted a task.toml package") } catch {
            #expect(error.description.contains("unsupported package"))
        }
    }
}
