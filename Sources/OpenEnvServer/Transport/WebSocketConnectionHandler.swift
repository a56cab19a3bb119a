import NIOCore
import Tracing
import OpenEnvCore
import NIOWebSocket

/// Runs one WebSocket connection: control frames (ping, pong, close) on the event loop,
/// complete messages handed to a ``WebSocketEndpoint`` one at a time, in order.
///
/// - Server pings every `pingInterval`; a peer that has not answered a ping within
///   `pingTimeout` is disconnected.
/// - A message over `messageLimit` bytes is handed to the endpoint as oversize
///   (``WebSocketEndpoint`` decides what to send) — larger ones are refused by the frame
///   aggregator before this handler sees them.
/// - The endpoint's ``WebSocketEndpoint/closed(cause:)`` runs once, after the message in
///   progress, with why the connection ended: ``SessionCloseCause/pingTimeout``,
///   ``SessionCloseCause/shutdown`` while draining, ``SessionCloseCause/error`` after a
///   protocol violation, else ``SessionCloseCause/client``.
/// - No data frame ever follows the close frame this side sent: frames written after it
///   (a late reply) are dropped and their write fails.
/// - On `ChannelShouldQuiesceEvent` (graceful shutdown) the connection *drains*: messages
///   received so far are still handled and answered, in order; messages that arrive later
///   are not run; then it closes with 1001 (going away).
///
/// Frames reach it checked and joined by ``WebSocketFrameValidator``.
///
/// Lives on its channel's event loop; tasks call back into it only through `eventLoop.execute`.
final class WebSocketConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Asks the connection to send a close frame and end (see ``SocketWriter/close(code:)``).
    ///
    /// With `immediately`, the connection is *failed* (RFC 6455 §7.1.7): the TCP connection
    /// closes as soon as the close frame is written. Otherwise the peer has five seconds to
    /// answer the close frame.
    struct CloseRequest {
        var code: WebSocketErrorCode
        var reason: String = ""
        var immediately = false
    }

    private enum State { case opening, open, closing, closed }

    private let endpoint: any WebSocketEndpoint
    private let executor: EventLoopTaskExecutor?
    /// Where messages larger than ``OpenEnvServer/inlineMessageLimit`` are handled.
    private let largeMessageExecutor: (any TaskExecutor)?
    private let pingInterval: TimeAmount?
    private let pingTimeout: TimeAmount
    private var state = State.opening
    private var pending: [Pending] = []

    /// A message waiting for the endpoint.
    private enum Pending {
        case message(WebSocketMessage)
        /// A large text message as received (``WebSocketFrameValidator``): unmasked and
        /// checked for UTF-8 in the task that handles it, off the event loop.
        case maskedText(ByteBuffer, WebSocketMaskingKey)

        var size: Int {
            switch self {
            case .message(.text(let bytes)), .maskedText(let bytes, _): bytes.readableBytes
            case .message(.binary): 0
            }
        }

        /// The message as the endpoint takes it: text unmasked, or `nil` when it is not
        /// valid UTF-8.
        func unmasked() -> WebSocketMessage? {
            switch self {
            case .message(let message):
                return message
            case .maskedText(var bytes, let key):
                bytes.webSocketUnmask(key)
                return UTF8Validation.isValid(bytes.readableBytesView) ? .text(bytes) : nil
            }
        }
    }
    private var busy = true  // until open() returns
    private var awaitingPong = false
    private var pongDeadline: Scheduled<Void>?
    private var pingTask: RepeatedTask?
    private var closeTimeout: Scheduled<Void>?
    private var endpointClosed = false
    private var channelGone = false
    /// Graceful shutdown: answer what was received, then close with 1001.
    private var draining = false
    /// Why the connection ends, as far as this side knows.
    private var closeCause = SessionCloseCause.client
    private let metrics: ServerMetrics?

    /// Messages received but not yet handled; past this many the connection stops reading
    /// (TCP backpressure) until the endpoint catches up.
    static let maxPending = 16
    /// A read was asked for while `pending` was full.
    private var readHeld = false

    /// The trace context of the upgrade request (its `traceparent`, ``ServerTracing``),
    /// current while the endpoint handles each message.
    private let traceContext: ServiceContext?

    init(
        endpoint: any WebSocketEndpoint, executor: EventLoopTaskExecutor?, largeMessageExecutor: (any TaskExecutor)? = nil,
        pingInterval: TimeAmount?, pingTimeout: TimeAmount, metrics: ServerMetrics? = nil, traceContext: ServiceContext? = nil
    ) {
        self.traceContext = traceContext
        self.metrics = metrics
        self.pingTimeout = pingTimeout
        self.endpoint = endpoint
        self.executor = executor
        self.largeMessageExecutor = largeMessageExecutor
        self.pingInterval = pingInterval
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let socket = SocketWriter(channel: context.channel, metrics: metrics)
        let endpoint = self.endpoint
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let traceContext = self.traceContext
        Task(executorPreference: executor) { [executor] in
            let keepOpen = await ServerTracing.withContext(traceContext) {
                await PreferredExecutor.$current.withValue(executor) { await endpoint.open(socket) }
            }
            eventLoop.execute {
                let (handler, context) = bound.value
                handler.busy = false
                if !keepOpen { handler.startClosing(context: context, code: .normalClosure) }
                handler.drain(context: context)
            }
        }
        if let pingInterval {
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
            metrics?.received(webSocketMessage: frame.data.readableBytes)
            if let key = frame.maskKey {
                enqueue(.maskedText(frame.data, key), context: context)
            } else {
                enqueue(.message(.text(frame.data)), context: context)
            }
        case .binary:
            metrics?.received(webSocketMessage: frame.data.readableBytes)
            enqueue(.message(.binary), context: context)
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
            break  // reserved opcodes never get here (WebSocketFrameValidator)
        }
    }

    /// Holds reads while `maxPending` messages wait (backpressure on a client that sends
    /// faster than its session answers).
    func read(context: ChannelHandlerContext) {
        if pending.count >= Self.maxPending {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Drops data frames written after this side's close frame (RFC 6455 §5.5.1).
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard state == .closing || state == .closed, unwrapOutboundIn(data).opcode != .connectionClose else {
            context.write(data, promise: promise)
            return
        }
        promise?.fail(ChannelError.outputClosed)
    }

    private func enqueue(_ message: Pending, context: ChannelHandlerContext) {
        guard state == .opening || state == .open, !draining else { return }
        pending.append(message)
        drain(context: context)
    }

    /// Hands the next messages to the endpoint when none is in progress: at once while it
    /// answers them without suspending (``WebSocketEndpoint/receiveNow(_:_:)``), then one
    /// in a task, whose end calls this again.
    private func drain(context: ChannelHandlerContext) {
        while true {
            if state == .opening, !busy { state = .open }
            guard !busy else { return }
            guard state == .open, !pending.isEmpty else {
                if state == .closed || channelGone { finishEndpoint() }
                if draining, state == .open { startClosing(context: context, code: .goingAway, reason: "server shutting down") }
                return
            }
            busy = true
            var message = pending.removeFirst()
            if readHeld, pending.count < Self.maxPending {
                readHeld = false
                context.read()
            }
            let socket = SocketWriter(channel: context.channel, metrics: metrics)
            if message.size <= OpenEnvServer.inlineMessageLimit {
                guard let ready = message.unmasked() else {
                    busy = false
                    closeOnInvalidUTF8(context: context)
                    continue
                }
                if let keepOpen = endpoint.receiveNow(ready, socket) {
                    busy = false
                    if !keepOpen { startClosing(context: context, code: .normalClosure) }
                    continue
                }
                message = .message(ready)
            }
            receiveInTask(message, socket: socket, context: context)
            return
        }
    }

    /// Hands `message` to the endpoint's ``WebSocketEndpoint/receive(_:_:)`` in a task
    /// (large ones on `largeMessageExecutor`), then clears `busy` and drains on.
    private func receiveInTask(_ message: Pending, socket: SocketWriter, context: ChannelHandlerContext) {
        let endpoint = self.endpoint
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let executor: (any TaskExecutor)? =
            message.size > OpenEnvServer.inlineMessageLimit ? largeMessageExecutor ?? self.executor : self.executor
        let traceContext = self.traceContext
        Task(executorPreference: executor) {
            guard let ready = message.unmasked() else {
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.busy = false
                    handler.closeOnInvalidUTF8(context: context)
                    handler.drain(context: context)
                }
                return
            }
            let keepOpen = await ServerTracing.withContext(traceContext) {
                await PreferredExecutor.$current.withValue(executor) { await endpoint.receive(ready, socket) }
            }
            eventLoop.execute {
                let (handler, context) = bound.value
                handler.busy = false
                if !keepOpen { handler.startClosing(context: context, code: .normalClosure) }
                handler.drain(context: context)
            }
        }
    }

    /// Fails the connection for a text message that is not UTF-8 (RFC 6455 §8.1).
    private func closeOnInvalidUTF8(context: ChannelHandlerContext) {
        startClosing(context: context, code: .dataInconsistentWithMessage, reason: "text message is not valid UTF-8", immediately: true)
    }

    private func ping(context: ChannelHandlerContext) {
        guard state == .open || state == .opening, !awaitingPong else { return }
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
            handler.closeCause = .pingTimeout
            context.close(promise: nil)
        }
    }

    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        switch state {
        case .closing:
            // The peer answered our close: the handshake is complete.
            state = .closed
            context.close(promise: nil)
        case .opening, .open:
            state = .closed
            pending.removeAll()
            var data = frame.unmaskedData
            let code = data.readSlice(length: 2) ?? ByteBuffer()
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in bound.value.close(promise: nil) }
        case .closed:
            break
        }
    }

    /// Sends a close frame and gives the peer five seconds to answer; with `immediately`,
    /// closes the connection as soon as the frame is written.
    private func startClosing(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String = "", immediately: Bool = false) {
        guard state == .opening || state == .open else { return }
        state = .closing
        if immediately { closeCause = .error }
        pending.removeAll()
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let written = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        if immediately {
            state = .closed
            written.whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            closeTimeout = context.eventLoop.scheduleTask(in: .seconds(5)) { bound.value.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let request = event as? CloseRequest {
            startClosing(context: context, code: request.code, reason: request.reason, immediately: request.immediately)
        } else if event is ChannelShouldQuiesceEvent {
            draining = true
            closeCause = .shutdown
            drain(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        channelGone = true
        state = .closed
        pending.removeAll()
        pingTask?.cancel()
        pongDeadline?.cancel()
        closeTimeout?.cancel()
        if !busy { finishEndpoint() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state != .closed { closeCause = .error }
        state = .closed
        context.close(promise: nil)
    }

    private func finishEndpoint() {
        guard !endpointClosed, channelGone else { return }
        endpointClosed = true
        let endpoint = self.endpoint
        let cause = closeCause
        Task(executorPreference: executor) { await endpoint.closed(cause: cause) }
    }
}
