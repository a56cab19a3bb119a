import ArgumentParser
import OpenEnvCore
import Testing

@testable import OpenEnvCLI

/// The command line of a program built on OpenEnvCLI: its name and environments come
/// from the program, and `serve` finds its environment in them.
@Suite struct CommandLineTests {
    actor Still: Environment {
        struct Action: Codable, Sendable { var wait: Bool }
        struct Observation: Codable, Sendable { var waited: Int }
        static let info = EnvironmentInfo(name: "Still", envName: "still", description: "does nothing", defaultMaxSessions: 2)
        private(set) var state = BasicState()
        func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> { StepResult(Observation(waited: 0)) }
        func step(_ action: Action) async throws -> StepResult<Observation> { StepResult(Observation(waited: 1)) }
    }

    static func context(_ names: [String]) -> OpenEnvCommandLine.Context {
        .init(name: "still-cli", abstract: "test", environments: names.map { EnvironmentEntry(name: $0, kind: .typed, factory: EnvironmentFactory { Still() }) },
              extraCommands: [])
    }

    @Test func theRootCommandIsNamedAfterTheProgram() throws {
        try OpenEnvCommandLine.$context.withValue(Self.context(["still"])) { () throws in
            #expect(RootCommand.configuration.commandName == "still-cli")
            #expect(RootCommand.configuration.subcommands.map { $0.configuration.commandName } == ["serve", "list", "bench", "validate", "build", "push"])
            #expect(RootCommand.helpMessage().contains("still-cli"))
            let command = try RootCommand.parseAsRoot(["serve", "--port", "0"])
            #expect((command as? ServeCommand)?.environment == nil)
        }
    }

    @Test func serveFindsTheOnlyEnvironmentOrTheNamedOne() throws {
        try OpenEnvCommandLine.$context.withValue(Self.context(["still"])) { () throws in
            #expect(try OpenEnvCommandLine.context.environment(named: nil).name == "still")
            do {
                _ = try RootCommand.parseAsRoot(["serve", "other"])
                Issue.record("an unknown environment was accepted")
            } catch {
                #expect(RootCommand.message(for: error) == "unknown environment 'other'; available: still")
            }
        }
        try OpenEnvCommandLine.$context.withValue(Self.context(["a", "b"])) { () throws in
            #expect(try OpenEnvCommandLine.context.environment(named: "b").name == "b")
            do {
                _ = try OpenEnvCommandLine.context.environment(named: nil)
                Issue.record("two environments and no name were accepted")
            } catch {
                #expect("\(error)".contains("available: a, b"))
            }
        }
    }
}
