@_exported import OpenEnvCore
import ArgumentParser
import Foundation
import OpenEnvServer

/// The OpenEnv command line for a set of environments: `serve`, `list`, `bench`,
/// `validate`, `build` and `push`, as in `openenv`. An environment package gets the same
/// commands with a one-line executable:
///
/// ```swift
/// import OpenEnvCLI
///
/// @main struct GuessNumberCLI {
///     static func main() async {
///         await OpenEnvCommandLine.main(environments: [
///             EnvironmentEntry(name: "guess_number", kind: .typed, factory: EnvironmentFactory { GuessNumber() }),
///         ])
///     }
/// }
/// ```
///
/// `guess-number serve --port 8000` then serves it (the name may be left out when there is
/// only one environment), `guess-number validate --url … --level semantic` checks it.
public enum OpenEnvCommandLine {
    /// What the commands of one program know: its name and environments.
    struct Context: Sendable {
        var name: String
        var abstract: String
        var environments: [EnvironmentEntry]
        var extraCommands: [any ParsableCommand.Type]
        /// Makes `serve`'s tracer from the process environment (`nil`: no tracing).
        var tracing: (@Sendable () throws -> ServerTracing?)? = nil

        func environment(named name: String?) throws -> EnvironmentEntry {
            if let name {
                guard let entry = environments.first(where: { $0.name == name }) else {
                    throw ValidationError("unknown environment '\(name)'; available: \(environments.map(\.name).joined(separator: ", "))")
                }
                return entry
            }
            guard environments.count == 1 else {
                throw ValidationError("name the environment to serve; available: \(environments.map(\.name).joined(separator: ", "))")
            }
            return environments[0]
        }
    }

    @TaskLocal static var context = Context(name: "openenv", abstract: "", environments: [], extraCommands: [])

    /// Parses the process's arguments and runs the command they name, then exits.
    /// `name` is the program's name in help and messages (default: the executable's file
    /// name); `extraCommands` are added after the standard ones. `tracing` makes the tracer
    /// of `serve` (`OpenEnvOTel`'s `ServerTracing.otlpFromEnvironment`, which reads the
    /// `OTEL_*` variables); without it `serve` records no spans.
    public static func main(
        name: String? = nil, abstract: String = "Serve, validate and benchmark OpenEnv environments.",
        environments: [EnvironmentEntry], extraCommands: [any ParsableCommand.Type] = [],
        tracing: (@Sendable () throws -> ServerTracing?)? = nil
    ) async {
        let program = name ?? CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "openenv"
        let context = Context(name: program, abstract: abstract, environments: environments, extraCommands: extraCommands, tracing: tracing)
        await $context.withValue(context) { await RootCommand.main() }
    }
}

/// The root command; its name, abstract and subcommands come from the program's context.
struct RootCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        let context = OpenEnvCommandLine.context
        return CommandConfiguration(
            commandName: context.name, abstract: context.abstract,
            subcommands: [ServeCommand.self, ListCommand.self, BenchCommand.self, ValidateCommand.self, BuildCommand.self, PushCommand.self]
                + context.extraCommands)
    }
}
