import Foundation
import HummingbirdWSClient
import NIOCore
import NIOWebSocket
import Logging
import OpenEnvCore
import OpenEnvServer
import OpenEnvTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs a server on a free loopback port for the duration of `body` (see ``withInProcessServer``).
@discardableResult
func withServer<T: Sendable>(
    _ factory: EnvironmentFactory, configuration: ServerConfiguration = ServerConfiguration(port: 0),
    _ body: @Sendable (TestServer) async throws -> T
) async throws -> T {
    try await withInProcessServer(factory, configuration: configuration) { port in try await body(TestServer(port: port)) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A running test server: HTTP and WebSocket helpers bound to its port.
struct TestServer: Sendable {
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// Sends an HTTP request; returns the status and the parsed JSON body (or `.null`).
    func http(_ method: String, _ path: String, json body: JSONValue? = nil) async throws -> (Int, JSONValue) {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(JSONWriter().bytes(body))
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, (try? JSONParser.parse(Array(data))) ?? .null)
    }

    /// Calls a JSON-RPC method on `POST /mcp`.
    func rpc(_ method: String, _ params: JSONObject = [:]) async throws -> JSONValue {
        try await http("POST", "/mcp", json: ["jsonrpc": "2.0", "method": .string(method), "params": .object(params), "id": 1]).1
    }

    /// Opens a WebSocket to `path` and runs `script` with it; returns the close code the
    /// connection ended with.
    @discardableResult
    func socket(_ path: String = "/ws", _ script: @escaping @Sendable (SocketScript) async throws -> Void) async throws -> WebSocketErrorCode? {
        var logger = Logger(label: "test.client")
        logger.logLevel = .critical
        let frame = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(maxFrameSize: 1 << 24), logger: logger
        ) { inbound, outbound, _ in
            try await script(SocketScript(inbound: inbound, outbound: outbound))
        }
        return frame?.closeCode
    }
}

/// One connection's conversation: send text, read frames as JSON.
final class SocketScript: @unchecked Sendable {
    private var iterator: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        iterator = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ value: JSONValue) async throws { try await outbound.write(.text(JSONWriter().string(value))) }
    func send(text: String) async throws { try await outbound.write(.text(text)) }

    /// The next frame as JSON, or `nil` when the server closed the connection.
    func receive() async throws -> JSONValue? {
        try await receiveText().map { try JSONParser.parse($0) }
    }

    /// The next frame's text, or `nil` when the server closed the connection.
    func receiveText() async throws -> String? {
        guard let message = try await iterator.next() else { return nil }
        guard case .text(let text) = message else { throw TestFailure("binary frame from server") }
        return text
    }

    func roundTrip(text: String) async throws -> JSONValue {
        try await send(text: text)
        guard let reply = try await receive() else { throw TestFailure("connection closed instead of replying to \(text)") }
        return reply
    }

    func roundTrip(_ value: JSONValue) async throws -> JSONValue {
        try await send(value)
        guard let reply = try await receive() else { throw TestFailure("connection closed instead of replying to \(value)") }
        return reply
    }
}
