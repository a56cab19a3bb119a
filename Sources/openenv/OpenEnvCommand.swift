import OpenEnvCLI
import OpenEnvCatalog
import OpenEnvOTel
import OpenEnvServer

/// The `openenv` command-line tool: the OpenEnv commands of ``OpenEnvCommandLine`` over the
/// built-in environments, plus the commands only this tool has.
@main
struct OpenEnvCommand {
    static func main() async {
        await OpenEnvCommandLine.main(
            name: "openenv", abstract: "Serve and inspect OpenEnv environments (Swift implementation of the OpenEnv wire protocol).",
            environments: BuiltinEnvironments.all,
            extraCommands: [InitCommand.self, CollectCommand.self, EvalCommand.self, GatewayCommand.self],
            tracing: { try ServerTracing.otlpFromEnvironment() })
    }
}
