import NIOCore
import NIOWebSocket

/// Runs one WebSocket connection: control frames (ping, pong, close) on the event loop,
/// complete messages handed to a ``WebSocketEndpoint`` one at a time, in order.
///
/// - One task per connection, started when the handler is added, opens the endpoint and
///   then takes the messages from a ``MessageMailbox``; it runs isolated to the endpoint's
///   ``WebSocketEndpoint/isolation`` (for `/ws`, the session's environment actor), so
///   handling a message costs one resumption of that task and no other executor switch.
/// - Server pings every `pingInterval`; a peer that has not answered a ping within
///   `pingTimeout` is disconnected.
/// - A message over `messageLimit` bytes is handed to the endpoint as oversize
///   (``WebSocketEndpoint`` decides what to send) — larger ones are refused by the frame
///   aggregator before this handler sees them.
/// - Once the connection closes, pending messages are dropped; the endpoint's
///   ``WebSocketEndpoint/closed()`` runs once, after the message in progress and after the
///   channel is gone.
///
/// Lives on its channel's event loop; the connection's task reaches it only through the
/// mailbox and the pipeline (``SocketWriter``).
final class WebSocketConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Asks the connection to send a close frame and end (see ``SocketWriter/close(code:)``).
    struct CloseRequest { var code: WebSocketErrorCode }

    private enum State { case open, closing, closed }

    private let endpoint: any WebSocketEndpoint
    private let executor: EventLoopTaskExecutor?
    private let pingInterval: TimeAmount?
    private let pingTimeout: TimeAmount
    private let registry: ConnectionRegistry
    private let mailbox = MessageMailbox()
    private var state = State.open
    private var awaitingPong = false
    private var pongDeadline: Scheduled<Void>?
    private var pingTask: RepeatedTask?
    private var closeTimeout: Scheduled<Void>?

    init(endpoint: any WebSocketEndpoint, executor: EventLoopTaskExecutor?, pingInterval: TimeAmount?, pingTimeout: TimeAmount, registry: ConnectionRegistry) {
        self.pingTimeout = pingTimeout
        self.endpoint = endpoint
        self.executor = executor
        self.pingInterval = pingInterval
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        registry.add(context.channel)
        let socket = SocketWriter(channel: context.channel)
        let endpoint = self.endpoint
        let mailbox = self.mailbox
        Task(executorPreference: executor) { () async -> Void in await serveConnection(endpoint, mailbox, socket) }
        if let pingInterval {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: pingInterval, delay: pingInterval) { _ in
                let (handler, context) = bound.value
                handler.ping(context: context)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if state == .open { mailbox.push(.text(frame.unmaskedData)) }
        case .binary:
            if state == .open { mailbox.push(.binary) }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            awaitingPong = false
            pongDeadline?.cancel()
            pongDeadline = nil
        case .connectionClose:
            receivedClose(context: context, frame: frame)
        default:
            break
        }
    }

    private func ping(context: ChannelHandlerContext) {
        guard state == .open, !awaitingPong else { return }
        awaitingPong = true
        var data = context.channel.allocator.buffer(capacity: 8)
        data.writeInteger(UInt64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: data)), promise: nil)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pongDeadline = context.eventLoop.scheduleTask(in: pingTimeout) {
            let (handler, context) = bound.value
            guard handler.awaitingPong, handler.state != .closed else { return }
            // The peer is gone or stuck: drop it (its session ends with the connection).
            handler.state = .closed
            context.close(promise: nil)
        }
    }

    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        switch state {
        case .closing:
            // The peer answered our close: the handshake is complete.
            state = .closed
            context.close(promise: nil)
        case .open:
            state = .closed
            mailbox.stop()
            var data = frame.unmaskedData
            let code = data.readSlice(length: 2) ?? ByteBuffer()
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
        case .closed:
            break
        }
    }

    /// Sends a close frame and gives the peer five seconds to answer.
    private func startClosing(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard state == .open else { return }
        state = .closing
        mailbox.stop()
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
        closeTimeout = context.eventLoop.scheduleTask(in: .seconds(5)) { context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let request = event as? CloseRequest {
            startClosing(context: context, code: request.code)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        mailbox.finish()
        pingTask?.cancel()
        pongDeadline?.cancel()
        closeTimeout?.cancel()
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The connection's task: opens the endpoint, then serves it isolated to its
/// ``WebSocketEndpoint/isolation``.
private func serveConnection(_ endpoint: any WebSocketEndpoint, _ mailbox: MessageMailbox, _ socket: SocketWriter) async {
    if await !endpoint.open(socket) {
        mailbox.stop()
        socket.close()
    }
    await serve(endpoint, mailbox, socket, isolation: endpoint.isolation)
}

/// Hands every message to the endpoint, isolated to `isolation`, until the mailbox is
/// finished, then tells the endpoint the connection is gone.
private func serve(
    _ endpoint: any WebSocketEndpoint, _ mailbox: MessageMailbox, _ socket: SocketWriter, isolation: isolated (any Actor)?
) async {
    while let message = await mailbox.next() {
        if await !endpoint.receive(message, socket) {
            mailbox.stop()
            socket.close()
        }
    }
    await endpoint.closed()
}
