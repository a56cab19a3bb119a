import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens benchmark connections with SwiftNIO: WebSocket sessions (HTTP upgrade to `/ws`)
/// and keep-alive HTTP connections, each driven by a load handler on its event loop.
struct Connector: Sendable {
    let target: BenchTarget
    let group: any EventLoopGroup

    /// Opens a WebSocket to `path` (after the target's base path) and installs
    /// `makeHandler()` once upgraded.
    func webSocket(path: String = "/ws", _ makeHandler: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel {
        let target = self.target
        return try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let request = UpgradeRequestHandler(target: target, path: target.basePath + path)
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 27, automaticErrorHandling: true) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(makeHandler())
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    // Frames the server sends right after the 101 (a capacity refusal) may share
                    // its packet: forward them to the WebSocket handlers, never drop them.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(request, promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
            .connect(host: target.host, port: target.port).get()
    }

    /// Opens a keep-alive HTTP connection driven by `makeHandler()`.
    func http(_ makeHandler: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
            .connect(host: target.host, port: target.port).get()
    }
}

/// Sends the upgrade request (the upgrader adds the WebSocket headers).
private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let target: BenchTarget
    let path: String

    init(target: BenchTarget, path: String) {
        self.target = target
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(target.host):\(target.port)")
        headers.add(name: "content-length", value: "0")
        if let token = target.bearerToken { headers.add(name: "authorization", value: "Bearer \(token)") }
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A response that reaches here means the upgrade was refused.
        if case .head(let head) = unwrapInboundIn(data) {
            context.fireErrorCaught(BenchError.badResponse("WebSocket upgrade refused: HTTP \(head.status.code)"))
            context.close(promise: nil)
        }
    }
}
