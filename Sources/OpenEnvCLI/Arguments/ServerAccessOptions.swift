import ArgumentParser
import Foundation
import OpenEnvServer

/// `serve`'s options for who may connect and what the server reports: bearer tokens, CORS
/// origins and `/metrics`.
struct ServerAccessOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "File of bearer tokens, one per line: TOKEN [name=NAME] [max_sessions=N] ('#' starts a comment). With tokens, every route but /health and /ready needs 'Authorization: Bearer TOKEN'. Default: $OPENENV_AUTH_TOKEN_FILE, else the lines in $OPENENV_AUTH_TOKENS, else no authentication.",
        valueName: "file"))
    var authTokenFile: String?

    @Option(name: .customLong("cors-origin"), help: ArgumentHelp(
        "A browser origin allowed to call the server (e.g. https://app.example, or * for any); repeat for several. Default: none, no CORS headers.",
        valueName: "origin"))
    var corsOrigins: [String] = []

    @Flag(inversion: .prefixedNo, help: "Serve Prometheus metrics on GET /metrics.")
    var metrics = true

    @Flag(help: "With tokens: serve /metrics without a token (like /health), e.g. to a scraper on a private network.")
    var publicMetrics = false

    /// The tokens from `--auth-token-file`, `$OPENENV_AUTH_TOKEN_FILE` or `$OPENENV_AUTH_TOKENS`
    /// (in that order), or `nil` when none is set. Errors name the source and the line,
    /// never a token.
    func tokens(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AccessTokens? {
        let file = authTokenFile ?? environment["OPENENV_AUTH_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let text: String
        let source: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read the token file \(file)")
            }
            text = String(decoding: data, as: UTF8.self)
            source = file
        } else if let inline = environment["OPENENV_AUTH_TOKENS"], !inline.isEmpty {
            text = inline
            source = "$OPENENV_AUTH_TOKENS"
        } else {
            return nil
        }
        do { return try AccessTokens(parsing: text) } catch { throw ValidationError("\(source): \(error)") }
    }

    func validate() throws {
        for origin in corsOrigins where origin != "*" {
            guard origin.hasPrefix("http://") || origin.hasPrefix("https://"), !origin.hasSuffix("/") else {
                throw ValidationError("--cors-origin takes an origin such as https://app.example (scheme, host, optional port; no path), or *")
            }
        }
    }

    /// Applies these options to `configuration`.
    func apply(to configuration: inout ServerConfiguration) throws {
        configuration.accessTokens = try tokens()
        configuration.corsAllowedOrigins = corsOrigins
        configuration.metricsRequireToken = !publicMetrics
        if metrics { configuration.metrics = ServerMetrics() }
    }
}
