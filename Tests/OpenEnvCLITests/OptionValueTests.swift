import ArgumentParser
import Logging
import OpenEnvCore
import OpenEnvServer
import OpenEnvValidation
import Testing

@testable import OpenEnvCLI
@testable import openenv

/// Options with a closed set of values are parsed into enums by swift-argument-parser: a
/// bad value is refused while parsing, with the values it could have been. `--mode` keeps
/// the reference's message (`openenv.core.env_server` raises it for `$OPENENV_MODE`).
@Suite struct OptionValueTests {
    static let context = OpenEnvCommandLine.Context(
        name: "openenv", abstract: "test",
        environments: [EnvironmentEntry(name: "still", kind: .typed, factory: EnvironmentFactory { CommandLineTests.Still() })],
        extraCommands: [])

    static func serve(_ arguments: [String]) throws -> ServeCommand {
        try OpenEnvCommandLine.$context.withValue(context) { try ServeCommand.parse(arguments) }
    }

    static func serveError(_ arguments: [String]) -> String? {
        OpenEnvCommandLine.$context.withValue(context) { () -> String? in
            do { _ = try ServeCommand.parse(arguments) } catch { return ServeCommand.message(for: error) }
            return nil
        }
    }

    @Test func modeIsParsedInAnyCase() throws {
        #expect(try Self.serve(["--mode", "production"]).mode == .production)
        #expect(try Self.serve(["--mode", "Simulation"]).mode == .simulation)
        #expect(try Self.serve(["--mode", "PRODUCTION"]).mode == .production)
        #expect(try Self.serve([]).mode == nil)
    }

    @Test func aBadModeGetsTheReferenceMessage() {
        #expect(Self.serveError(["--mode", "staging"])
            == "The value 'staging' is invalid for '--mode <mode>': Invalid mode: 'staging'. Must be one of: ['simulation', 'production']")
    }

    @Test func modeFallsBackOnTheEnvironmentVariableThenSimulation() throws {
        let unset = try Self.serve([])
        #expect(try unset.resolvedMode(environment: [:]) == .simulation)
        #expect(try unset.resolvedMode(environment: ["OPENENV_MODE": "Production"]) == .production)
        #expect(try Self.serve(["--mode", "simulation"]).resolvedMode(environment: ["OPENENV_MODE": "production"]) == .simulation)
        do {
            _ = try unset.resolvedMode(environment: ["OPENENV_MODE": "staging"])
            Issue.record("OPENENV_MODE=staging was accepted")
        } catch {
            #expect(ServeCommand.message(for: error) == "Invalid mode: 'staging'. Must be one of: ['simulation', 'production']")
        }
    }

    @Test func logLevelIsOneOfSwiftLogsLevels() throws {
        #expect(try Self.serve([]).logLevel.level == .info)
        #expect(try Self.serve(["--log-level", "warning"]).logLevel.level == .warning)
        #expect(try Self.serve(["--log-level", "trace"]).logLevel.level == .trace)
        #expect(Self.serveError(["--log-level", "loud"]) == """
            The value 'loud' is invalid for '--log-level <log-level>'. Please provide one of the following:
              - trace
              - debug
              - info
              - notice
              - warning
              - error
              - critical
            """)
    }

    @Test func validateLevelIsOneOfTheFour() throws {
        #expect(try ValidateCommand.parse(["--url", "http://127.0.0.1:1", "--level", "protocol"]).level == .protocol)
        #expect(try ValidateCommand.parse(["--level", "static"]).level == .static)
        #expect(try ValidateCommand.parse([]).level == nil)
        do {
            _ = try ValidateCommand.parse(["--level", "deep"])
            Issue.record("--level deep was accepted")
        } catch {
            #expect(ValidateCommand.message(for: error)
                == "The value 'deep' is invalid for '--level <level>'. Please provide one of 'static', 'runtime', 'protocol' or 'semantic'.")
        }
    }

    @Test func policyIsRandomScriptedOrLLM() throws {
        #expect(try PolicyOptions.parse([]).policy == .random)
        #expect(try PolicyOptions.parse(["--policy", "scripted", "--command", "cat"]).policy == .scripted)
        #expect(try PolicyOptions.parse(["--policy", "scripted", "--command", "cat"]).recorded["policy"] == "scripted")
        do {
            _ = try PolicyOptions.parse(["--policy", "greedy"])
            Issue.record("--policy greedy was accepted")
        } catch {
            #expect(PolicyOptions.message(for: error)
                == "The value 'greedy' is invalid for '--policy <policy>'. Please provide one of 'random', 'scripted' or 'llm'.")
        }
        do {
            _ = try PolicyOptions.parse(["--policy", "scripted"])
            Issue.record("--policy scripted without --command was accepted")
        } catch {
            #expect(PolicyOptions.message(for: error) == "--policy scripted needs --command")
        }
    }

    @Test func helpListsEachOptionsValues() {
        let serve = OpenEnvCommandLine.$context.withValue(Self.context) { ServeCommand.helpMessage(columns: 400) }
        #expect(serve.contains("values: trace, debug, info, notice, warning, error, critical"))
        #expect(ValidateCommand.helpMessage(columns: 400).contains("values: static, runtime, protocol, semantic"))
        #expect(PolicyOptions.helpMessage(columns: 400).contains("values: random, scripted, llm"))
    }
}
