import ArgumentParser
import Foundation
import Logging
import OpenEnvGateway

/// `openenv gateway`: one URL in front of many OpenEnv servers (see ``OpenEnvGateway``).
/// A command of the `openenv` program (its `extraCommands`), not of every environment package.
public struct GatewayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve one URL in front of many OpenEnv servers: sessions pinned to a backend, capacity summed.",
        discussion: """
            Prints '<program>: listening on http://HOST:PORT' to standard error once it accepts connections.
            Backends come from --backend and, with an admin token, from PUT /admin/backends \
            ({"backends": [{"id": ..., "url": "http://host:port"}, ...]}, the complete new set; \
            Authorization: Bearer <admin token>). Clients' Authorization headers are forwarded to the backends.
            """)

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port).")
    var port = 8080

    @Option(name: .customLong("backend"), help: ArgumentHelp("A backend server's URL, http://host:port (repeatable).", valueName: "url"))
    var backends: [String] = []

    @Option(name: .customLong("backend-dns"), help: ArgumentHelp(
        "Also route to every address NAME resolves to, on PORT, resolved again at each health interval (a Kubernetes headless Service).",
        valueName: "name:port"))
    var backendDNS: String?

    @Option(help: "On SIGTERM, seconds open sessions get to end before they are closed with BACKEND_LOST.")
    var drainTimeout: Double = 30

    @Option(help: ArgumentHelp(
        "A file holding the bearer token that PUT /admin/backends requires (else $OPENENV_GATEWAY_ADMIN_TOKEN_FILE); without one the admin API answers 403.",
        valueName: "path"))
    var adminTokenFile: String?

    @Option(help: "Seconds between health checks of each backend (GET /ready).")
    var healthInterval: Double = 1

    @Option(help: "Failed health checks in a row before a backend counts as dead and its sessions are failed.")
    var failuresBeforeDown = 3

    @Option(help: "The largest WebSocket frame or HTTP body accepted, in bytes.")
    var maxMessageSize = 16 * 1024 * 1024

    @Option(help: "Seconds a client has to send a whole HTTP request.")
    var requestTimeout: Double = 30

    @Option(help: "Seconds a proxied HTTP request may wait for its backend's answer.")
    var upstreamTimeout: Double = 600

    @Option(help: "Log level.")
    var logLevel = LogLevelArgument(.info)

    public init() {}

    public func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        for url in backends where BackendAddress(url: url) == nil { throw ValidationError("--backend \(url): expected http://host:port") }
        guard healthInterval > 0, requestTimeout > 0, upstreamTimeout > 0 else {
            throw ValidationError("--health-interval, --request-timeout and --upstream-timeout must be positive")
        }
        if let backendDNS, DNSDiscovery(backendDNS) == nil { throw ValidationError("--backend-dns \(backendDNS): expected name:port") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
        guard failuresBeforeDown >= 1 else { throw ValidationError("--failures-before-down must be at least 1") }
        guard maxMessageSize >= 1024 else { throw ValidationError("--max-message-size must be at least 1024") }
        _ = try adminToken()
    }

    func adminToken(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let path = adminTokenFile ?? environment["OPENENV_GATEWAY_ADMIN_TOKEN_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read the admin token file \(path)") }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else { throw ValidationError("the admin token in \(path) must be at least 16 characters") }
        return token
    }

    public func run() async throws {
        let level = logLevel.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = GatewayConfiguration(
            host: host, port: port, backends: backends.compactMap { BackendAddress(url: $0) }, adminToken: try adminToken(),
            maxMessageSize: maxMessageSize, requestTimeout: .milliseconds(Int64(requestTimeout * 1000)),
            upstreamTimeout: .milliseconds(Int64(upstreamTimeout * 1000)), healthInterval: .milliseconds(Int64(healthInterval * 1000)),
            healthTimeout: .milliseconds(Int64(max(1, healthInterval * 2) * 1000)), failuresBeforeDown: failuresBeforeDown)
        configuration.backendDNS = backendDNS
        configuration.drainTimeout = .milliseconds(Int64(drainTimeout * 1000))
        let host = self.host
        let admin = configuration.adminToken == nil ? "off" : "token"
        let count = configuration.backends.count
        let gateway = OpenEnvGateway(configuration: configuration)
        try await gateway.run { port in
            FileHandle.standardError.write(Data(
                "\(OpenEnvCommandLine.context.name): listening on http://\(host):\(port) backends=\(count) admin=\(admin)\n".utf8))
        }
    }
}
