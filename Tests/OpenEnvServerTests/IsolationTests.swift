import Foundation
import Logging
import Synchronization
import OpenEnvCore
import OpenEnvEnvironments
import Testing
@testable import OpenEnvServer

/// One bad request must not freeze a server that many sessions share: protocol violations
/// end only their own connection, with the RFC 6455 close code; a huge message or a step
/// that computes for long does not delay other sessions; shutdown answers what was received.
/// Real sockets, hand-built frames.
@Suite(.serialized) struct IsolationTests {
    static let echoStep: JSONValue = ["type": "step", "data": ["type": "call_tool", "tool_name": "echo_message", "arguments": ["message": "hi"]]]

    @Test func protocolViolationsEndOnlyTheirConnectionWithTheirCode() async throws {
        let configuration = ServerConfiguration(maxMessageSize: 4096)
        try await withServer(EnvironmentFactory { EchoEnvironment() }, configuration: configuration) { server in
            let healthy = try RawWebSocket(port: server.port)
            try Self.step(healthy)
            let cases: [(String, [ClientFrame], UInt16)] = [
                ("unmasked", [ClientFrame(opcode: 0x1, payload: Array("{}".utf8), masked: false)], 1002),
                ("RSV1", [ClientFrame(rsv: 0b100, opcode: 0x1, payload: Array("{}".utf8))], 1002),
                ("opcode 0x3", [ClientFrame(opcode: 0x3, payload: [])], 1002),
                ("opcode 0xB", [ClientFrame(opcode: 0xB, payload: [])], 1002),
                ("ping of 126 bytes", [ClientFrame(opcode: 0x9, payload: Array(repeating: 0x61, count: 126))], 1002),
                ("fragmented ping", [ClientFrame(fin: false, opcode: 0x9, payload: [])], 1002),
                ("lone continuation", [ClientFrame(opcode: 0x0, payload: [0x61])], 1002),
                ("text inside a fragmented text", [ClientFrame(fin: false, opcode: 0x1, payload: [0x7B]), ClientFrame(opcode: 0x1, payload: [0x7D])], 1002),
                ("close code 1005", [ClientFrame(opcode: 0x8, payload: [0x03, 0xED])], 1002),
                ("invalid UTF-8 text", [ClientFrame(opcode: 0x1, payload: [0x7B, 0xFF, 0x7D])], 1007),
                ("invalid UTF-8 close reason", [ClientFrame(opcode: 0x8, payload: [0x03, 0xE8, 0xC0, 0xAF])], 1007),
                ("over twice the message limit", [ClientFrame(opcode: 0x1, payload: Array(repeating: 0x20, count: 8193))], 1009),
                ("fragments over twice the limit", [ClientFrame(fin: false, opcode: 0x1, payload: Array(repeating: 0x20, count: 5000)),
                                                    ClientFrame(opcode: 0x0, payload: Array(repeating: 0x20, count: 5000))], 1009),
            ]
            for (name, frames, code) in cases {
                let socket = try RawWebSocket(port: server.port)
                for frame in frames { try socket.send(frame) }
                let (before, close, tcpClosed) = try socket.receiveUntilClose()
                #expect(before.isEmpty, "\(name): \(before)")
                #expect(close?.closeCode == code, "\(name): \(close.map(String.init(describing:)) ?? "no close frame")")
                #expect(tcpClosed, "\(name): the server must close the TCP connection")
            }
            // The session opened before every violation still steps.
            try Self.step(healthy)
            #expect(try await server.http("GET", "/ready").1["active_sessions"] == 1)
        }
    }

    @Test func aLargeTextMessageIsCheckedForUTF8OffTheEventLoopStill1007() async throws {
        try await withServer(EnvironmentFactory { EchoEnvironment() }) { server in
            let socket = try RawWebSocket(port: server.port)
            // Larger than the inline limit (64 KiB): unmasked and checked on the step pool.
            try socket.send(ClientFrame(opcode: 0x1, payload: Array(repeating: 0x20, count: 70_000) + [0xFF]))
            let (before, close, tcpClosed) = try socket.receiveUntilClose()
            #expect(before.isEmpty && close?.closeCode == 1007 && tcpClosed)
            // A valid one of the same size is answered as usual.
            let valid = try RawWebSocket(port: server.port)
            try valid.send(ClientFrame(opcode: 0x1, payload: Array(#"{"type":"state"}"#.utf8) + Array(repeating: 0x20, count: 70_000)))
            let reply = try #require(try valid.receive())
            #expect((try? JSONParser.parse(reply.payload))?["type"] == "state")
        }
    }

    @Test func aMessageBetweenOnceAndTwiceTheLimitGetsAnErrorFrameThenClose1000() async throws {
        try await withServer(EnvironmentFactory { EchoEnvironment() }, configuration: ServerConfiguration(maxMessageSize: 4096)) { server in
            let socket = try RawWebSocket(port: server.port)
            try socket.send(ClientFrame(opcode: 0x1, payload: Array(repeating: 0x20, count: 5000)))
            let (before, close, _) = try socket.receiveUntilClose()
            #expect(before.count == 1 && before.first?.text.contains("MESSAGE_TOO_LARGE") == true)
            #expect(close?.closeCode == 1000)
        }
    }

    @Test func aHugeObjectIsAnsweredWithoutDelayingOtherSessions() async throws {
        try await withServer(EnvironmentFactory { EchoEnvironment() }) { server in
            // 200,000 keys: a quadratic duplicate-key check would take minutes here.
            var action = "{\"type\":\"call_tool\",\"tool_name\":\"echo_message\",\"arguments\":{\"message\":\"big\"}"
            for k in 0..<200_000 { action += ",\"k\(k)\":\(k)" }
            action += "}"
            let frame = "{\"type\":\"step\",\"data\":\(action)}"
            let (latencies, reply) = try await Self.measureOtherSessionWhile(server: server) {
                let attacker = try RawWebSocket(port: server.port)
                try attacker.send(ClientFrame(opcode: 0x1, payload: Array(frame.utf8)))
                return try attacker.receive(timeoutSeconds: 30)
            }
            // Pydantic's answer: every unknown key of the action is an extra_forbidden issue.
            let json = try JSONParser.parse(try #require(reply).payload)
            #expect(json["data"]?["code"] == "VALIDATION_ERROR")
            #expect(json["data"]?["errors"]?.arrayValue?.count == 200_000)
            Self.expectNoStall(latencies, budget: .milliseconds(50), "while a 200,000-key message was handled")
        }
    }

    /// The actor burner, and the same steps written synchronously (``SynchronousEnvironment``),
    /// which must not be stepped inline on the event loop when their policy is the pool.
    @Test(arguments: ["actor", "synchronous"])
    func aStepThatComputesForLongDelaysOnlyItsOwnSession(kind: String) async throws {
        let factory = kind == "actor" ? EnvironmentFactory { BurnerEnvironment() } : EnvironmentFactory { SynchronousBurnerEnvironment<OnThreadPool>() }
        try await withServer(factory) { server in
            let burner = try RawWebSocket(port: server.port)
            let burn: JSONValue = ["type": "step", "data": ["burn_milliseconds": 200]]
            let (latencies, _) = try await Self.measureOtherSessionWhile(server: server, step: ["type": "step", "data": ["burn_milliseconds": 0]]) {
                for _ in 0..<8 { try Self.step(burner, burn) }
            }
            let sorted = latencies.sorted()
            let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            #expect(p99 < .milliseconds(20), "p99 \(p99) of another session's steps while one session burned 8 x 200 ms")
        }
    }

    @Test func theExecutionPolicyDecidesWhereCallsRun() async throws {
        let factories = [
            (EnvironmentFactory { BurnerEnvironment() }, false), (EnvironmentFactory { InlineBurnerEnvironment() }, true),
            // Synchronous environments are stepped inline only where their policy puts calls.
            (EnvironmentFactory { SynchronousBurnerEnvironment<OnThreadPool>() }, false),
            (EnvironmentFactory { SynchronousBurnerEnvironment<OnEventLoop>() }, true),
        ]
        for (factory, expected) in factories {
            try await withServer(factory) { server in
                try await server.socket { ws in
                    let reset = try await ws.roundTrip(["type": "reset", "data": [:]])
                    let step = try await ws.roundTrip(["type": "step", "data": ["burn_milliseconds": 0]])
                    #expect(reset["data"]?["observation"]?["on_event_loop"] == .bool(expected), "\(factory.info.name)")
                    #expect(step["data"]?["observation"]?["on_event_loop"] == .bool(expected), "\(factory.info.name)")
                    try await ws.send(["type": "close"])
                }
            }
        }
    }

    @Test func shutdownAnswersEveryReceivedStepBeforeClosingWith1001() async throws {
        let ledger = ProbeLedger()
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = OpenEnvServer(
            factory: ProbeEnvironment.factory(ledger), configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxSessions: 32),
            logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let running = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let clients = try (0..<16).map { _ in try RawWebSocket(port: port) }
        let step = Array(JSONWriter().bytes(["type": "step", "data": ["sleep_milliseconds": 300]] as JSONValue))
        for client in clients {
            // Two steps each: one running when the shutdown starts, one waiting behind it.
            try client.send(ClientFrame(opcode: 0x1, payload: step))
            try client.send(ClientFrame(opcode: 0x1, payload: step))
        }
        try await Task.sleep(for: .milliseconds(100))
        running.cancel()  // the same drain as SIGTERM
        let outcomes = try await onThread { try clients.map { try $0.receiveUntilClose(timeoutSeconds: 10) } }
        for (before, close, tcpClosed) in outcomes {
            #expect(before.map { (try? JSONParser.parse($0.payload))?["type"] } == ["observation", "observation"])
            #expect(close?.closeCode == 1001)
            #expect(tcpClosed)
        }
        _ = await running.result
        #expect(ledger.made == 16 && ledger.closed == 16)
    }

    // MARK: Helpers

    /// One step on a raw socket; throws unless an observation comes back (usable off the
    /// test's task, where `#expect` cannot report).
    static func step(_ socket: RawWebSocket, _ message: JSONValue = echoStep) throws {
        try socket.send(ClientFrame(opcode: 0x1, payload: JSONWriter().bytes(message)))
        guard let reply = try socket.receive() else { throw TestFailure("closed instead of answering a step") }
        guard (try? JSONParser.parse(reply.payload))?["type"] == "observation" else { throw TestFailure("not an observation: \(reply)") }
    }

    /// Steps a second session in a loop while `disturbance` runs; returns each step's latency.
    /// Both run on threads of their own (their socket calls block), not on the Swift pool
    /// the server also uses.
    static func measureOtherSessionWhile<R: Sendable>(
        server: TestServer, step: JSONValue = echoStep, _ disturbance: @escaping @Sendable () throws -> R
    ) async throws -> (latencies: [Duration], result: R) {
        let observer = try RawWebSocket(port: server.port)
        try Self.step(observer, step)
        let done = DoneFlag()
        async let disturbed = onThread {
            defer { done.set() }
            return try disturbance()
        }
        let latencies = try await onThread { () throws -> [Duration] in
            var latencies: [Duration] = []
            let clock = ContinuousClock()
            while !(done.isSet && latencies.count >= 20) {
                let start = clock.now
                try Self.step(observer, step)
                latencies.append(clock.now - start)
                Thread.sleep(forTimeInterval: 0.005)
            }
            return latencies
        }
        return (latencies, try await disturbed)
    }

    static func expectNoStall(_ latencies: [Duration], budget: Duration, _ context: String) {
        let worst = latencies.max() ?? .zero
        #expect(worst < budget, "another session's slowest step took \(worst) \(context) (\(latencies.count) steps)")
    }
}

/// Runs blocking work on a thread of its own and awaits its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A flag set once, read from other threads.
final class DoneFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
