import OpenEnvClient
import OpenEnvEnvironments
import OpenEnvServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the client puts on the wire before any OpenEnv message, seen by a bare TCP listener.
@Suite(.timeLimit(.minutes(1))) struct ConnectionTests {
    static let forbidden = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    @Test func extraHeadersGoOnTheHandshakeAndOnHTTPRequests() async throws {
        let listener = try await RecordingListener.start(answering: Self.forbidden)
        var configuration = testConfiguration()
        configuration.headers = ["Authorization": "Bearer hf_secret"]
        let base = "http://127.0.0.1:\(listener.port)/prefix"

        // A declined handshake is asked about once more over plain HTTP (HandshakeRefusal): a
        // 401 or 403 is the server's answer, not a bare upgrade failure.
        let refused = await #expect(throws: OpenEnvError.self) { try await GenericEnvClient.connect(to: base, configuration: configuration) }
        guard case .httpStatus(403, _) = refused else { throw TestFailure("expected HTTP 403, got \(String(describing: refused))") }

        let mcp = await #expect(throws: OpenEnvError.self) { try await MCPToolClient.connect(to: base, configuration: configuration) }
        guard case .httpStatus(403, _) = mcp else { throw TestFailure("expected HTTP 403, got \(String(describing: mcp))") }

        let heads = listener.requests.map { $0.lowercased() }
        #expect(heads.count == 3)
        let handshake = try #require(heads.first { $0.hasPrefix("get ") && $0.contains("upgrade: websocket") })
        #expect(handshake.hasPrefix("get /prefix/ws http/1.1"))
        #expect(handshake.contains("authorization: bearer hf_secret"))
        let probe = try #require(heads.first { $0.hasPrefix("get ") && !$0.contains("upgrade: websocket") })
        #expect(probe.hasPrefix("get /prefix/ws http/1.1"))
        #expect(probe.contains("authorization: bearer hf_secret"))
        let post = try #require(heads.first { $0.hasPrefix("post ") })
        #expect(post.hasPrefix("post /prefix/mcp http/1.1"))
        #expect(post.contains("authorization: bearer hf_secret"))
        #expect(post.contains("content-type: application/json"))
        try await listener.stop()
    }

    @Test func aServerThatNeverCompletesTheHandshakeHitsTheConnectTimeout() async throws {
        let listener = try await RecordingListener.start(answering: nil)
        var configuration = testConfiguration()
        configuration.connectTimeout = .milliseconds(300)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: OpenEnvError.self) {
            try await GenericEnvClient.connect(to: "127.0.0.1:\(listener.port)", configuration: configuration)
        }
        #expect(clock.now - started < .seconds(15), "the 300 ms connect timeout ends the attempt; the listener never answers")
        guard case .connectionFailed(_, let reason) = error else { throw TestFailure("expected connectionFailed, got \(String(describing: error))") }
        #expect(reason.contains("no WebSocket handshake within"))
        #expect(listener.requests.count == 1)
        try await listener.stop()
    }
}

/// WebSocket pings in both directions.
@Suite(.serialized, .timeLimit(.minutes(1))) struct PingTests {
    @Test func theClientAnswersServerPings() async throws {
        var server = ServerConfiguration()
        server.pingInterval = .milliseconds(200)  // the server drops peers that miss a pong…
        server.pingTimeout = .seconds(2)  // …for two seconds (generous for a loaded CI machine)
        try await withSwiftServer(EnvironmentFactory { GridEnvironment() }, configuration: server) { server in
            let client = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            _ = try await client.reset()
            try await Task.sleep(for: .seconds(3))
            _ = try await client.step(.init(.down))
            #expect(try await client.state().stepCount == 1)
            await client.close()
        }
    }

    @Test func aServerThatStopsAnsweringPingsIsALostSession() async throws {
        let server = try await ExternalServers.openenv("grid").start()
        var configuration = testConfiguration()
        configuration.pingInterval = .milliseconds(200)
        let client = try await GridClient.connect(to: server.address, configuration: configuration)
        _ = try await client.reset()
        kill(server.processID, SIGSTOP)  // alive, but answers nothing
        try await Task.sleep(for: .seconds(1))
        let lost = await #expect(throws: OpenEnvError.self) { try await client.state() }
        kill(server.processID, SIGCONT)
        guard case .sessionLost = lost else { throw TestFailure("expected a lost session, got \(String(describing: lost))") }
        await client.close()
        await server.stop()
    }
}
