import NIOCore
import NIOWebSocket
import OpenEnvCore
import OpenEnvServer

/// One half of a WebSocket relay: the client's connection or the backend's. The two halves
/// live on the same event loop (the backend connection is opened on the client's), pass
/// frames to each other as decoded, and never look inside a message.
///
/// - **Frames, not messages**: each frame is passed on as it came (fragments stay
///   fragments, text is not parsed or re-encoded). A client frame is unmasked and masked
///   again with the same key by NIO's encoder; a backend frame goes out unchanged.
/// - **Bounds**: NIO's decoders refuse frames over the gateway's limit (the client gets 1009
///   from NIO's protocol error handler); everything else the backend checks itself (RFC 6455
///   violations fail the backend's connection, and so the relay).
/// - **Backpressure**: a half reads only while its partner's socket is writable.
/// - **Closes**: close frames are relayed both ways. When the backend's connection ends
///   without a close frame (the backend died, or ``BackendPool`` declared it dead), the client
///   gets an error frame `{"type":"error","data":{"code":"BACKEND_LOST","message":…}}` (unless
///   the backend was in the middle of a fragmented message) and a close 1011 naming the
///   backend: never a silent switch to another backend. When the client goes, the backend's
///   connection is closed (the backend ends the session).
///
/// Must be used on its channel's event loop only.
final class FrameRelay: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum Side { case client, backend }

    /// Fired into a backend-side channel to fail its relay with `cause` (the backend died).
    struct BackendLost { var cause: String }

    let side: Side
    /// The backend, for the messages the client sees.
    let backend: BackendAddress
    private(set) var partner: FrameRelay?
    private var context: ChannelHandlerContext?
    private var readPending = false
    /// Backend side: a data message is being relayed in fragments.
    private var midMessage = false
    /// A close frame went through this half (the closing handshake is under way).
    private var sawClose = false
    private var lostCause: String?
    /// Backend side, before ``join(_:_:)``: frames the backend sent right after its 101 (a
    /// refusal), and whether its connection already ended.
    private var joined = false
    private var early: [WebSocketFrame] = []
    private var goneEarly = false

    init(side: Side, backend: BackendAddress) {
        self.side = side
        self.backend = backend
    }

    /// Joins two halves (on their common event loop) and hands the client what the backend
    /// sent before.
    static func join(_ client: FrameRelay, _ backend: FrameRelay) {
        client.joined = true
        backend.joined = true
        guard !backend.goneEarly else {
            for frame in backend.early { client.send(frame) }
            backend.early = []
            backend.tellClientBackendEnded(client)
            return
        }
        client.partner = backend
        backend.partner = client
        for frame in backend.early { client.send(frame) }
        backend.early = []
        client.flush()
        backend.resumeReading()
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        switch side {
        case .client:
            guard let key = frame.maskKey else {
                fail(context: context, code: .protocolError, reason: "client frames must be masked")
                return
            }
            frame.data.webSocketUnmask(key)  // the backend side's encoder masks it again with `key`
            if frame.opcode == .connectionClose {
                sawClose = true
                if partner == nil { context.close(promise: nil) }  // the backend already went
            }
        case .backend:
            frame.maskKey = nil
            switch frame.opcode {
            case .text, .binary, .continuation: midMessage = !frame.fin
            case .connectionClose: sawClose = true
            default: break
            }
            guard joined else {
                early.append(frame)
                return
            }
        }
        partner?.send(frame)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if side == .backend, !joined, early.count >= 16 {
            readPending = true
        } else if partner?.isWritable ?? true {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let lost = event as? BackendLost {
            lostCause = lostCause ?? lost.cause
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if side == .backend, lostCause == nil { lostCause = "the connection to backend \(backend) failed (\(error))" }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let partner = self.partner
        self.partner = nil
        partner?.partner = nil
        switch side {
        case .client:
            partner?.context?.close(promise: nil)
        case .backend:
            if let partner {
                tellClientBackendEnded(partner)
            } else if !joined {
                goneEarly = true
            }
        }
        context.fireChannelInactive()
    }

    /// Backend side, once its connection ended: the client's close (after a relayed close
    /// frame), or ``failClient(cause:sendErrorFrame:)``.
    private func tellClientBackendEnded(_ client: FrameRelay) {
        if sawClose {
            client.closeAfterFlush()
        } else {
            client.failClient(
                cause: lostCause ?? "backend \(backend) closed the connection without a close frame",
                sendErrorFrame: !midMessage)
        }
    }

    // MARK: called by the partner (same event loop)

    private var isWritable: Bool { context?.channel.isWritable ?? true }

    private func send(_ frame: WebSocketFrame) {
        context?.write(wrapOutboundOut(frame), promise: nil)
    }

    private func flush() { context?.flush() }

    private func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    /// Client side, after the backend's close frame was relayed and its connection ended:
    /// the client has a second to answer the close, then the connection is closed.
    private func closeAfterFlush() {
        guard let context else { return }
        context.flush()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(1)) { bound.value.close(promise: nil) }
    }

    /// Client side: tells the client its backend is gone, then closes (1011).
    private func failClient(cause: String, sendErrorFrame: Bool) {
        guard let context else { return }
        if sendErrorFrame {
            let text = WireFrames.error("BACKEND_LOST", "\(cause); the session is gone and was not moved to another backend")
            var buffer = context.channel.allocator.buffer(capacity: text.count)
            buffer.writeBytes(text)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
        }
        closeClient(context: context, code: .unexpectedServerError, reason: "backend lost")
    }

    private func fail(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String) {
        closeClient(context: context, code: code, reason: reason)
    }

    /// Writes a close frame and closes the TCP connection once it is written.
    private func closeClient(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String) {
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }
}
