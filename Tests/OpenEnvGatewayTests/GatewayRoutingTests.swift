import AsyncHTTPClient
import Foundation
import Logging
import OpenEnvClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvGateway
import OpenEnvHTTP
import OpenEnvServer
import OpenEnvTestSupport
import Testing

/// The gateway in front of real in-process grid servers on free loopback ports, driven by
/// the Swift client. Expected observations are the grid's rules worked by hand: an unseeded
/// reset puts the agent at (0,0) and the goal at (4,4); each DOWN adds one to the row.
@Suite(.serialized) struct GatewayRoutingTests {
    static let grid = EnvironmentFactory { GridEnvironment() }

    /// Runs `body` with one grid server per entry of `maxSessions` (each reaping idle HTTP
    /// sessions after `sessionTimeout`, when given) and a gateway in front of them.
    func withGateway<T: Sendable>(
        maxSessions: [Int], sessionTimeout: Duration? = nil, configure: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @Sendable (_ gateway: String, _ backends: [Int]) async throws -> T
    ) async throws -> T {
        try await withServers(maxSessions[...], sessionTimeout: sessionTimeout, ports: []) { ports in
            var configuration = GatewayConfiguration(
                host: "127.0.0.1", port: 0, backends: ports.map { BackendAddress(url: "http://127.0.0.1:\($0)")! },
                healthInterval: .milliseconds(200), healthTimeout: .seconds(1), failuresBeforeDown: 2)
            configure(&configuration)
            var logger = Logger(label: "test.gateway")
            logger.logLevel = .critical
            return try await OpenEnvGateway(configuration: configuration, logger: logger).withRunning { port in
                try await body("http://127.0.0.1:\(port)", ports)
            }
        }
    }

    private func withServers<T: Sendable>(
        _ limits: ArraySlice<Int>, sessionTimeout: Duration?, ports: [Int], _ body: @Sendable ([Int]) async throws -> T
    ) async throws -> T {
        guard let limit = limits.first else { return try await body(ports) }
        var configuration = ServerConfiguration(maxSessions: limit)
        if let sessionTimeout { configuration.sessionTimeout = sessionTimeout }
        return try await withInProcessServer(Self.grid, configuration: configuration) { port in
            try await withServers(limits.dropFirst(), sessionTimeout: sessionTimeout, ports: ports + [port], body)
        }
    }

    static func getJSON(_ url: String) async throws -> JSONValue {
        let response = try await HTTPClient.openEnv.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        return try JSONParser.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    static func activeSessions(_ port: Int) async throws -> Int {
        try await getJSON("http://127.0.0.1:\(port)/ready")["active_sessions"]?.intValue ?? -1
    }

    @Test(arguments: [Transport.webSocket, Transport.httpSession])
    func sessionsSpreadOverTheBackendsAndStayOnTheirOwn(transport: Transport) async throws {
        try await withGateway(maxSessions: [8, 8]) { gateway, backends in
            var clients: [GenericEnvClient] = []
            for _ in 0..<4 { clients.append(try await GenericEnvClient.connect(to: gateway, transport: transport)) }
            for client in clients {
                let start = try await client.reset()
                #expect(start.observation["row"] == 0 && start.observation["col"] == 0 && start.observation["goal_row"] == 4)
            }
            // Session i takes i+1 steps DOWN: a session moved to another backend would have
            // lost its position and step count.
            for (i, client) in clients.enumerated() {
                for step in 0...i {
                    let result = try await client.step(["action": "DOWN"])
                    #expect(result.observation["row"] == .int(step + 1))
                }
            }
            for (i, client) in clients.enumerated() {
                let state = try await client.state()
                #expect(state["step_count"] == .int(i + 1) && state["row"] == .int(i + 1))
            }
            // Four sessions on two empty backends: two each, as both backends count them.
            #expect(try await Self.activeSessions(backends[0]) == 2)
            #expect(try await Self.activeSessions(backends[1]) == 2)
            let ready = try await Self.getJSON(gateway + "/ready")
            #expect(ready["active_sessions"] == 4 && ready["max_sessions"] == 16 && ready["status"] == "ready")
            for client in clients { await client.close() }
        }
    }

    @Test func capacityIsReachedOnlyWhenEveryBackendIsFull() async throws {
        try await withGateway(maxSessions: [1, 1]) { gateway, backends in
            let first = try await GenericEnvClient.connect(to: gateway)
            _ = try await first.reset()
            let second = try await GenericEnvClient.connect(to: gateway)
            _ = try await second.reset()  // the other backend still had room
            #expect(try await Self.activeSessions(backends[0]) == 1)
            #expect(try await Self.activeSessions(backends[1]) == 1)
            let third = try await GenericEnvClient.connect(to: gateway)
            let refused = await #expect(throws: OpenEnvError.self) { try await third.reset() }
            guard case .server(let error)? = refused else {
                Issue.record("expected a server error, got \(String(describing: refused))")
                return
            }
            // The reference's shape and message, with both backends' slots summed.
            #expect(error.code.rawValue == "CAPACITY_REACHED")
            #expect(error.message == "Server at capacity: 2/2 sessions active. Cannot accept new connections.")
            #expect(error.activeSessions == 2 && error.maxSessions == 2)
            await third.close()
            // A slot freed anywhere is a slot for the next session.
            await first.close()
            try await Task.sleep(for: .milliseconds(300))
            let fourth = try await GenericEnvClient.connect(to: gateway)
            let start = try await fourth.reset()
            #expect(start.observation["row"] == 0)
            await fourth.close()
            await second.close()
        }
    }

    @Test func theAdminRouteNeedsTheAdminTokenAndReplacesTheSet() async throws {
        let token = "gateway-admin-token-0123456789"
        try await withGateway(maxSessions: [4, 4], configure: { $0.adminToken = token; $0.backends.removeLast() }) { gateway, backends in
            func put(_ body: String, token: String?) async throws -> (Int, JSONValue) {
                var request = HTTPClientRequest(url: gateway + "/admin/backends")
                request.method = .PUT
                if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
                request.body = .bytes(Array(body.utf8))
                let response = try await HTTPClient.openEnv.execute(request, timeout: .seconds(5))
                let bytes = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), try JSONParser.parse(Array(bytes.readableBytesView)))
            }
            let list = #"{"backends": [{"id": "b", "url": "http://127.0.0.1:\#(backends[1])", "node_id": "n1"}]}"#
            #expect(try await put(list, token: nil).0 == 401)
            #expect(try await put(list, token: "wrong-token-0123456789xx").0 == 401)
            let (status, answer) = try await put(list, token: token)
            #expect(status == 200)
            // The first backend left the set (no sessions: forgotten); the second joined.
            guard case .array(let entries)? = answer["backends"] else { Issue.record("no list: \(answer)"); return }
            #expect(entries.count == 1 && entries[0]["id"] == "b" && entries[0]["up"] == true)
            let client = try await GenericEnvClient.connect(to: gateway)
            _ = try await client.reset()
            #expect(try await Self.activeSessions(backends[1]) == 1)
            #expect(try await Self.activeSessions(backends[0]) == 0)
            await client.close()
        }
    }

    @Test func aBackendThatStopsEndsOnlyItsOwnSessions() async throws {
        try await withInProcessServer(Self.grid) { survivorPort in
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let doomed = Task {
                try await withInProcessServer(Self.grid) { port in
                    continuation.yield(port)
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            var iterator = ports.makeAsyncIterator()
            let doomedPort = try #require(await iterator.next())
            let configuration = GatewayConfiguration(
                host: "127.0.0.1", port: 0,
                backends: [BackendAddress(url: "http://127.0.0.1:\(survivorPort)")!, BackendAddress(url: "http://127.0.0.1:\(doomedPort)")!],
                healthInterval: .milliseconds(200), healthTimeout: .seconds(1), failuresBeforeDown: 2)
            var logger = Logger(label: "test.gateway")
            logger.logLevel = .critical
            try await OpenEnvGateway(configuration: configuration, logger: logger).withRunning { port in
                let gateway = "http://127.0.0.1:\(port)"
                var clients: [GenericEnvClient] = []
                for _ in 0..<4 {
                    let client = try await GenericEnvClient.connect(to: gateway)
                    _ = try await client.reset()
                    clients.append(client)
                }
                #expect(try await Self.activeSessions(doomedPort) == 2)
                doomed.cancel()
                _ = await doomed.result
                var failed = 0
                for client in clients {
                    do {
                        let result = try await client.step(["action": "DOWN"])
                        #expect(result.observation["row"] == 1)
                    } catch {
                        failed += 1
                    }
                }
                #expect(failed == 2)
                #expect(try await Self.activeSessions(survivorPort) == 2)
                // New sessions go to the survivor once the gateway has seen the loss.
                try await Task.sleep(for: .milliseconds(800))
                for _ in 0..<3 {
                    let client = try await GenericEnvClient.connect(to: gateway)
                    let start = try await client.reset()
                    #expect(start.observation["row"] == 0)
                    await client.close()
                }
                for client in clients { await client.close() }
            }
        }
    }
    /// A backend that reaps an idle HTTP session never tells the gateway; the session's next
    /// request gets the backend's own "unknown session" answer, and the gateway then forgets
    /// the pin and the slot it counted (before, it counted the session for ever).
    @Test func aSessionTheBackendReapedIsForgottenAtItsNextRequest() async throws {
        try await withGateway(maxSessions: [4], sessionTimeout: .milliseconds(400)) { gateway, backends in
            let client = try await GenericEnvClient.connect(to: gateway, transport: .httpSession)
            _ = try await client.reset()
            #expect(try await Self.getJSON(gateway + "/ready")["active_sessions"] == 1)
            // Reaped after 400 ms idle; the backend's reaper looks every 100 ms.
            let deadline = ContinuousClock.now + .seconds(10)
            while try await Self.activeSessions(backends[0]) != 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await Self.activeSessions(backends[0]) == 0)
            // The gateway still holds it: nothing has told it yet.
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.getJSON(gateway + "/ready")["active_sessions"] == 1)
            await #expect(throws: OpenEnvError.self) { _ = try await client.step(["action": "DOWN"]) }
            try await Task.sleep(for: .milliseconds(500))  // a health poll after the unpin
            #expect(try await Self.getJSON(gateway + "/ready")["active_sessions"] == 0)
            await client.close()
        }
    }
}
