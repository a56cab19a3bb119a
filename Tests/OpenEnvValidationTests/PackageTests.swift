import Foundation
import OpenEnvCore
import OpenEnvServer
import OpenEnvTestSupport
import Testing

@testable import OpenEnvValidation

/// `Validator.validate(package:url:)`: the reference's package report, with the running
/// checks read against the manifest.
@Suite struct PackageTests {
    static func package(manifest: String, files: [String: String] = [:]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-package-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/validation", withIntermediateDirectories: true)
        try manifest.write(toFile: directory + "/openenv.yaml", atomically: true, encoding: .utf8)
        for (path, text) in files { try text.write(toFile: directory + "/" + path, atomically: true, encoding: .utf8) }
        return directory
    }

    static let complete: [String: String] = [
        "Package.swift": "// swift-tools-version:6.2\n", "Dockerfile": "FROM scratch\n",
        "README.md": "---\ntitle: Counter\nsdk: docker\napp_port: 8000\ntags: [openenv]\n---\n# Counter\n",
    ]

    @Test func staticLevelChecksTheManifestAndTheLayout() async throws {
        let directory = try Self.package(manifest: ManifestTests.valid.replacing("floor_margin: 0.5", with: "floor_margin: 0.05"),
                                         files: ["README.md": "# no front matter\n"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = try await Validator.validate(package: directory, url: nil, options: ValidationOptions(level: .static))
        #expect(report.schemaVersion == "1" && report.levelsRun == [1])
        let manifest = try #require(report.result("static.manifest"))
        #expect(manifest.status == .fail && manifest.evidence == ["declared floor_margin 0.05 is below the policy minimum 0.1"])
        let layout = try #require(report.result("static.layout"))
        #expect(layout.status == .fail)
        #expect(layout.evidence.contains { $0.hasPrefix("no Package.swift (a Swift environment)") })
        #expect(layout.evidence.contains { $0.hasPrefix("no Dockerfile") })
        #expect(layout.evidence.contains { $0.hasPrefix("README.md has no front matter") })
        #expect(report.verdict == .fail)
        #expect(report.json["source_digest"]?.stringValue?.count == 64)
        let invalid = try Self.package(manifest: "name: x\n")
        defer { try? FileManager.default.removeItem(atPath: invalid) }
        let unusable = try await Validator.validate(package: invalid, url: "http://127.0.0.1:9", options: ValidationOptions(level: .semantic))
        #expect(unusable.manifest == nil && unusable.result("static.manifest")?.remediation?.contains("validation:") == true)
        #expect(unusable.result("runtime.startup")?.evidence == ["unmet dependency: valid manifest"])
        #expect(report.json["manifest"]?["reward"]?["floor_margin"] == 0.05)
    }

    @Test func withAServedPackageTheRunningChecksJoinTheReport() async throws {
        let plan = #"{"plan_schema_version":"1","reset":{"episode_id":"counter-plan","seed":3},"actions":[{"move":"up"},{"move":"up"}]}"#
        let manifest = ManifestTests.valid + "\n  execution:\n    kind: openenv_ws\n"
        let directory = try Self.package(manifest: manifest, files: Self.complete.merging(["validation/runtime.json": plan]) { $1 })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ServerConfiguration()
        configuration.maxSessions = 4
        let report = try await withInProcessServer(EnvironmentFactory { CounterEnvironment() }, configuration: configuration) { port in
            var options = ValidationOptions(level: .semantic)
            options.budget = 150
            return try await Validator.validate(package: directory, url: "http://127.0.0.1:\(port)", options: options)
        }
        #expect(report.verdict == .pass, "\(report.text)")
        #expect(report.schemaVersion == "2" && report.levelsRun == [1, 2, 3])
        #expect(report.result("runtime.health_endpoint")?.status == .pass)
        #expect(report.result("runtime.startup")?.measured["actual"]?["episode_id"] == "counter-plan")
        #expect(report.result("semantic.floor_gap")?.status == .pass)
        #expect(report.json["manifest"]?["execution"]?["probe_path"] == "validation/runtime.json")
    }

    @Test func aBrokenRuntimePlanFailsTheStartup() async throws {
        let manifest = ManifestTests.valid + "\n  execution: {}\n"
        let directory = try Self.package(manifest: manifest, files: Self.complete.merging(["validation/runtime.json": #"{"plan_schema_version":"1","actions":[]}"#]) { $1 })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = try await withInProcessServer(EnvironmentFactory { CounterEnvironment() }) { port in
            try await Validator.validate(package: directory, url: "http://127.0.0.1:\(port)", options: ValidationOptions(level: .runtime))
        }
        let startup = try #require(report.result("runtime.startup"))
        #expect(startup.status == .fail)
        #expect(startup.evidence.first?.contains("reset: field required") == true, "\(startup.evidence)")
        #expect(report.result("static.layout")?.evidence.contains { $0.hasPrefix("validation.execution.probe_path validation/runtime.json: runtime plan schema validation failed") } == true)
        #expect(report.result("runtime.state_contract")?.status == .skip)
        #expect(report.verdict == .fail)
    }

    @Test func withoutAServerTheRuntimeLevelIsSkipped() async throws {
        let directory = try Self.package(manifest: ManifestTests.valid, files: Self.complete)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = try await Validator.validate(package: directory, url: nil, options: ValidationOptions(level: .semantic))
        #expect(report.results.map(\.checkID) == ["static.manifest", "static.layout", "runtime.startup"])
        #expect(report.result("runtime.startup")?.status == .skip)
        #expect(report.verdict == .warn)
    }
}
