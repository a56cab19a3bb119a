import OpenEnvClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import Testing

/// The Swift client against a server that requires bearer tokens (`--auth-token-file`):
/// the token travels in ``ClientConfiguration/headers``, on the WebSocket handshake and on
/// every HTTP request, as the official Python client sends it.
@Suite(.serialized, .timeLimit(.minutes(2))) struct AccessTokenClientTests {
    let grid = EnvironmentFactory { GridEnvironment() }
    static let token = "swift-client-\(UInt64.random(in: 0...UInt64.max))"

    func guarded() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.accessTokens = try AccessTokens(parsing: "\(Self.token)  name=trainer\n")
        return configuration
    }

    func configuration(token: String?) -> ClientConfiguration {
        var configuration = testConfiguration()
        if let token { configuration.headers = ["Authorization": "Bearer \(token)"] }
        return configuration
    }

    @Test(arguments: [Transport.webSocket, .attachedWebSocket, .httpSession])
    func aClientWithTheTokenRunsAnEpisode(transport: Transport) async throws {
        try await withSwiftServer(grid, configuration: try guarded()) { server in
            let client = try await GenericEnvClient.connect(to: server.address, transport: transport, configuration: configuration(token: Self.token))
            let start = try await client.reset(seed: 3)
            #expect(start.observation["goal_row"]?.intValue != nil)
            let moved = try await client.step(["action": "UP"])
            #expect(moved.observation["row"] != nil)
            await client.close()
        }
    }

    @Test(arguments: [nil, "not-the-token"])
    func aWebSocketClientWithoutTheTokenIsRefusedWithTheReason(token: String?) async throws {
        try await withSwiftServer(grid, configuration: try guarded()) { server in
            let error = await #expect(throws: OpenEnvError.self) {
                let client = try await GenericEnvClient.connect(to: server.address, configuration: configuration(token: token))
                _ = try await client.reset()
            }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("401"), "\(text)")
            #expect(text.contains(token == nil ? "Not authenticated" : "Invalid token"), "\(text)")
        }
    }

    @Test func anHTTPClientWithoutTheTokenGetsTheServers401() async throws {
        try await withSwiftServer(grid, configuration: try guarded()) { server in
            let error = await #expect(throws: OpenEnvError.self) {
                let client = try await GenericEnvClient.connect(to: server.address, transport: .http, configuration: configuration(token: nil))
                _ = try await client.reset()
            }
            guard case .httpStatus(let status, let body)? = error else { throw TestFailure("expected HTTP 401, got \(String(describing: error))") }
            #expect(status == 401)
            #expect(body == ["detail": "Not authenticated"])
        }
    }
}
