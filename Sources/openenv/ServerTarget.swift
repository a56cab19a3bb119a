import ArgumentParser
import Logging
import OpenEnvCLI
import OpenEnvCatalog
import OpenEnvServer

/// Which server `openenv collect` and `openenv eval` drive: a running one (`--url`), or a
/// built-in environment they serve in-process for the duration of the run (`--env`).
struct ServerTarget: ParsableArguments {
    @Option(help: "Base URL of a running OpenEnv server (ours or the Python reference).")
    var url: String?

    @Option(help: "Instead of --url: start this built-in environment in-process on a free port.")
    var env: String?

    @OptionGroup var token: ClientTokenOption

    func validate() throws {
        guard (url == nil) != (env == nil) else { throw ValidationError("give exactly one of --url and --env") }
        if let env, BuiltinEnvironments.named(env) == nil { throw ValidationError("unknown environment '\(env)'") }
    }

    /// Runs `body` with the server's base URL: `--url` as given, or the URL of the built-in
    /// environment served on a free loopback port (with `maxSessions` sessions) until `body`
    /// returns or throws.
    func run<T: Sendable>(maxSessions: Int, label: String, _ body: @Sendable (String) async throws -> T) async throws -> T {
        if let url { return try await body(url) }
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let server = OpenEnvServer(
            factory: BuiltinEnvironments.named(env!)!.factory,
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxSessions: maxSessions), logger: logger)
        return try await server.withRunning { port in try await body("http://127.0.0.1:\(port)") }
    }
}
