import NIOCore
import NIOHTTP1
import NIOPosix
import OpenEnvCore

/// An HTTP/1.1 request as a ``LoopbackHTTPServer`` handler sees it.
public struct LoopbackRequest: Sendable {
    public var method: String
    /// The request target: path and query, e.g. `/v1/chat/completions`.
    public var uri: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body parsed as JSON, or `nil`.
    public var json: JSONValue? { try? JSONParser.parse(body) }
}

/// What a handler answers.
public struct LoopbackResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: JSONWriter().bytes(value))
    }

    public static func text(_ text: String, status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: [("Content-Type", "text/plain")], body: Array(text.utf8))
    }
}

/// A real HTTP/1.1 server on a free 127.0.0.1 port whose answers come from a handler:
/// tests stand it in for an LLM endpoint, a reward service or the Hugging Face Hub.
/// Each request runs in its own task (handlers may sleep to simulate slow servers);
/// connections are kept alive. Stopping cancels every handler still running.
public final class LoopbackHTTPServer: Sendable {
    public let port: Int
    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let task: Task<Void, Never>

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(
        port: Int, channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        task: Task<Void, Never>
    ) {
        self.port = port
        self.channel = channel
        self.task = task
    }

    public static func start(_ handler: @escaping @Sendable (LoopbackRequest) async -> LoopbackResponse) async throws -> LoopbackHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        let port = channel.channel.localAddress?.port ?? 0
        let task = Task {
            await withDiscardingTaskGroup { group in
                try? await channel.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, handler) }
                    }
                }
                group.cancelAll()
            }
        }
        return LoopbackHTTPServer(port: port, channel: channel, task: task)
    }

    /// Closes the listening socket and every connection; returns once all handlers ended.
    ///
    /// The accept loop is not cancelled: it ends when the listening socket has closed, after
    /// handing out every connection already accepted. (Cancelling it dropped connections
    /// accepted but not yet taken, and NIO traps on an `NIOAsyncChannel` dropped unused.)
    /// Connections still open then are cancelled by the task group.
    public func stop() async {
        channel.channel.close(promise: nil)
        await task.value
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        _ handler: @escaping @Sendable (LoopbackRequest) async -> LoopbackResponse
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var request: LoopbackRequest?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    request = LoopbackRequest(
                        method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: [])
                case .body(var buffer):
                    request?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end:
                    guard let complete = request else { continue }
                    request = nil
                    let response = await handler(complete)
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
                    let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
                    try await outbound.write(.head(head))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                }
            }
        }
    }
}

/// Runs `body` with a ``LoopbackHTTPServer`` answering through `handler`, then stops it.
public func withLoopbackHTTPServer<T: Sendable>(
    _ handler: @escaping @Sendable (LoopbackRequest) async -> LoopbackResponse,
    _ body: (LoopbackHTTPServer) async throws -> T
) async throws -> T {
    let server = try await LoopbackHTTPServer.start(handler)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
