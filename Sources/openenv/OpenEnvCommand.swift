import ArgumentParser

/// The `openenv` command-line tool.
@main
struct OpenEnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openenv",
        abstract: "Serve and inspect OpenEnv environments (Swift implementation of the OpenEnv wire protocol).",
        subcommands: [ServeCommand.self, ListCommand.self, BenchCommand.self, CollectCommand.self, ValidateCommand.self])
}
