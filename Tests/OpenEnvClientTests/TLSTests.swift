import NIOSSL
import OpenEnvClient
import OpenEnvEnvironments
import Testing

/// `https`/`wss` through a TLS-terminating proxy in front of a real server.
@Suite(.timeLimit(.minutes(1))) struct TLSTests {
    @Test func wssAndHTTPSWithATrustedCertificate() async throws {
        try await withSwiftServer(EnvironmentFactory { EchoEnvironment() }) { server in
            let proxy = try await TLSProxy.start(forwardingTo: server.port)
            var configuration = testConfiguration()
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(proxy.certificates)
            configuration.tlsConfiguration = tls

            // MCPToolClient: HTTPS for openenv/session/create and tools/call, WSS for the session.
            let echo = try await MCPToolClient.connect(to: "https://localhost:\(proxy.port)", configuration: configuration)
            let reset = try await echo.reset(episodeID: "tls")
            #expect(reset.metadata["status"] == "ready")
            #expect(try await echo.callTool("echo_message", arguments: ["message": "secure"]) == "secure")
            #expect(try await echo.callTool("echo_message", arguments: ["message": "over wss"], via: .step) == "over wss")
            #expect(try await echo.state()["episode_id"] == "tls")
            await echo.close()

            // Without trusting the certificate, TLS verification refuses the connection.
            let untrusted = await #expect(throws: OpenEnvError.self) {
                try await GenericEnvClient.connect(to: "wss://localhost:\(proxy.port)", configuration: testConfiguration())
            }
            guard case .connectionFailed(let url, _) = untrusted else { throw TestFailure("expected connectionFailed, got \(String(describing: untrusted))") }
            #expect(url == "wss://localhost:\(proxy.port)/ws")
            try await proxy.stop()
        }
    }
}
