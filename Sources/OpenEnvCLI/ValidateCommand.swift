import ArgumentParser
import Foundation
import OpenEnvCore
import OpenEnvValidation

/// `openenv validate`: checks a running server (`--url`) or an environment package
/// directory, with the reference's report shapes and exit codes (0 pass or warn, 1 fail,
/// 2 not a package, 3 the report could not be written).
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate a running OpenEnv server or an environment package.",
        discussion: """
            --url URL: the reference runtime validator's six HTTP criteria, then by --level: runtime (one planned \
            episode over /ws graded like the reference: observation schema, state contract, reward well-formed), \
            protocol (error codes, session isolation, capacity refusal, close), semantic (seeded determinism, \
            rewards in range, done reachable, no reward for random or empty actions, no leaks between sessions, \
            no sessions left behind). Works against any OpenEnv server, including the Python reference.
            DIR: openenv.yaml (the reference's `validation:` block) and the package layout; with --url where the \
            package is served, the runtime checks read the manifest's reward range, tolerances and runtime plan.
            Exit codes: 0 pass or warn, 1 fail, 2 not an openenv.yaml package, 3 the report could not be written.
            """)

    @Argument(help: "The package directory (default: the current directory), or a server URL (http://… or https://…).")
    var target: String?

    @Option(help: "Base URL of a running server, e.g. http://127.0.0.1:8000.")
    var url: String?

    @Option(help: "Highest level to run. Default: static for a URL alone (the reference's six criteria), semantic for a package.")
    var level: ValidationLevel?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Also write the JSON report to this file.")
    var output: String?

    @Option(help: "Seconds each HTTP request and each awaited WebSocket frame may take (at least 0.1).")
    var timeout: Double = 5

    @Option(help: "The server's session limit, for servers without GET /ready (the Python reference): enables the capacity check and the cleanup cycles.")
    var maxSessions: Int?

    @Option(help: "Random steps the semantic level spends looking for done and measuring the reward floor.")
    var budget = 200

    @Option(help: "Seed of the default plan's reset and of the random actions.")
    var seed = 42

    @Flag(help: "Package mode: build the Swift package and serve it on a free loopback port (--max-sessions, default 4) for the runtime, protocol and semantic checks, instead of --url.")
    var serve = false

    @Option(help: "With --serve: the scratch path of the package's swift build.")
    var scratchPath: String?

    @Flag(help: "Package mode only: skip every check that needs a running server (the reference's flag; runtime.startup is skipped).")
    var skipBuild = false

    @Flag(help: "Select package mode explicitly (the reference's flag); it cannot be combined with a URL.")
    var local = false

    @OptionGroup var token: ClientTokenOption

    func validate() throws {
        guard timeout >= 0.1 else { throw ValidationError("--timeout must be at least 0.1") }
        if let maxSessions, maxSessions < 1 { throw ValidationError("--max-sessions must be at least 1") }
        guard budget >= 1 else { throw ValidationError("--budget must be at least 1") }
    }

    private static func looksLikeURL(_ text: String) -> Bool {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }

    func run() async throws {
        var runtimeURL = url
        var directory: String?
        if let target {
            if Self.looksLikeURL(target) {
                if let url, url != target { throw fail("Conflicting runtime targets provided via argument and --url") }
                runtimeURL = target
            } else {
                directory = target
            }
        }
        if local && runtimeURL != nil && directory == nil { throw fail("--local cannot be combined with a running URL") }
        if serve && (runtimeURL != nil || skipBuild) { throw fail("--serve serves the package itself: it takes neither --url nor --skip-build") }
        var options = ValidationOptions(level: level ?? (directory == nil && runtimeURL != nil ? .static : .semantic))
        options.timeout = .milliseconds(Int64((timeout * 1000).rounded()))
        options.maxSessions = maxSessions
        options.budget = budget
        options.seed = seed
        options.headers = token.headers()
        if skipBuild { options.skipRuntime = "--skip-build: build-dependent runtime checks skipped" }

        let reportJSON: JSONValue
        let text: String
        let failed: Bool
        if let runtimeURL, directory == nil {
            let report: RunningEnvironmentReport
            do { report = try await Validator.validate(url: runtimeURL, options: options) } catch { throw fail("\(error)") }
            (reportJSON, text, failed) = (report.json, report.text, !report.passed)
        } else {
            let report: PackageReport
            let package = directory ?? FileManager.default.currentDirectoryPath
            var server: PackageServer?
            do {
                if serve && options.level >= .runtime {
                    options.maxSessions = options.maxSessions ?? 4
                    server = try PackageServer.start(package: package, scratchPath: scratchPath, maxSessions: options.maxSessions!)
                    runtimeURL = server?.url
                }
                report = try await Validator.validate(package: package, url: runtimeURL, options: options)
                server?.stop()
            } catch let error as PackageError {
                server?.stop()
                throw fail("\(error)", code: 2)
            } catch {
                server?.stop()
                throw fail("\(error)")
            }
            (reportJSON, text, failed) = (report.json, report.text, report.verdict == .fail)
        }
        let rendered = Self.indented(reportJSON)
        if let output {
            do { try Data((rendered + "\n").utf8).write(to: URL(fileURLWithPath: output)) } catch {
                throw fail("cannot write the report to \(output): \(error.localizedDescription)", code: 3)
            }
        }
        print(json ? rendered : text)
        if failed { throw ExitCode(1) }
    }

    private func fail(_ message: String, code: Int32 = 1) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// JSON with two-space indentation, as the reference prints reports.
    static func indented(_ value: JSONValue, depth: Int = 0) -> String {
        let pad = String(repeating: "  ", count: depth + 1), closing = String(repeating: "  ", count: depth)
        switch value {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { pad + indented($0, depth: depth + 1) }.joined(separator: ",\n") + "\n\(closing)]"
        case .object(let object) where !object.isEmpty:
            return "{\n" + object.map { pad + JSONWriter().string(.string($0.key)) + ": " + indented($0.value, depth: depth + 1) }.joined(separator: ",\n") + "\n\(closing)}"
        default:
            return JSONWriter().string(value)
        }
    }
}
