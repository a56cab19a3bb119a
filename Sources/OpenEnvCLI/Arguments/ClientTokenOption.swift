import ArgumentParser
import Foundation

/// `--token` of the commands that talk to a server (`bench`, `validate`, `collect`, `eval`):
/// the bearer token of a server started with `--auth-token-file`, sent as
/// `Authorization: Bearer <token>` on every request and WebSocket handshake.
package struct ClientTokenOption: ParsableArguments {
    @Option(name: .customLong("token"), help: ArgumentHelp(
        "Bearer token for a server that requires one (default: $OPENENV_TOKEN). Prefer the variable: a command line is visible to other users.",
        valueName: "token"))
    package var value: String?

    package init() {}

    /// `--token`, else `$OPENENV_TOKEN`, else `nil`.
    package func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let value, !value.isEmpty { return value }
        if let fromEnvironment = environment["OPENENV_TOKEN"], !fromEnvironment.isEmpty { return fromEnvironment }
        return nil
    }

    /// The `Authorization` header for the resolved token, if any.
    package func headers(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        resolved(environment: environment).map { ["Authorization": "Bearer \($0)"] } ?? [:]
    }
}
