import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens the backend half of a WebSocket relay: a TCP connection on the client's event loop
/// and the WebSocket handshake for the client's path and query, carrying the client's
/// end-to-end headers (`Authorization` above all: the backend decides who may connect).
///
/// Succeeds with the upgraded channel (a ``FrameRelay`` installed, not yet joined), or fails
/// with ``BackendConnector/Refusal`` when the backend answered the upgrade with another
/// status, or with the connection's error; the whole exchange is bounded by `timeout`.
struct BackendConnector: Sendable {
    /// The backend answered the upgrade with `status` instead of 101.
    struct Refusal: Error { var status: HTTPResponseStatus }
    struct Timeout: Error {}

    let maxFrameSize: Int
    let timeout: TimeAmount

    /// Request headers that describe one hop or the client's own handshake, never forwarded.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length", "sec-websocket-key", "sec-websocket-version",
        "sec-websocket-extensions", "sec-websocket-protocol", "sec-websocket-accept",
    ]

    func connect(
        to backend: BackendAddress, uri: String, headers clientHeaders: HTTPHeaders, on eventLoop: any EventLoop,
        relay: @escaping @Sendable () -> FrameRelay
    ) -> EventLoopFuture<any Channel> {
        let upgraded = eventLoop.makePromise(of: (any Channel).self)
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(backend.host.contains(":") ? "[\(backend.host)]" : backend.host):\(backend.port)")
        for (name, value) in clientHeaders where !Self.hopByHop.contains(name.lowercased()) { headers.add(name: name, value: value) }
        headers.add(name: "content-length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
        let maxFrameSize = self.maxFrameSize
        let timer = eventLoop.scheduleTask(in: timeout) { upgraded.fail(Timeout()) }
        let connected = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                let request = UpgradeRequest(head: head, upgraded: upgraded)
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maxFrameSize, automaticErrorHandling: false) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(relay())
                        upgraded.succeed(channel)
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    // Frames the backend sends right after its 101 (a capacity refusal) may
                    // share the packet: forward them to the relay, never drop them.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(request, promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
            .connect(host: backend.host, port: backend.port)
        connected.whenFailure { upgraded.fail($0) }
        upgraded.futureResult.whenComplete { result in
            timer.cancel()
            if case .failure = result { connected.whenSuccess { $0.close(promise: nil) } }
        }
        return upgraded.futureResult
    }
}

/// Sends the upgrade request; a response that reaches it means the upgrade was refused.
private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let head: HTTPRequestHead
    let upgraded: EventLoopPromise<any Channel>

    init(head: HTTPRequestHead, upgraded: EventLoopPromise<any Channel>) {
        self.head = head
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let response) = unwrapInboundIn(data) {
            upgraded.fail(BackendConnector.Refusal(status: response.status))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgraded.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
