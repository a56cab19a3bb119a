import NIOCore
import NIOWebSocket

/// Enforces RFC 6455 on the frames a client sends, and joins fragments into messages.
///
/// Sits between NIO's `WebSocketFrameDecoder` and ``WebSocketConnectionHandler``. Every
/// violation *fails the connection* (RFC 6455 §7.1.7): the frame is not delivered, a close
/// frame with the violation's code is sent, and the TCP connection is closed as soon as that
/// frame is written, without waiting for the peer. Nothing read after a violation is
/// delivered.
///
/// | violation | close code |
/// |---|---|
/// | a frame without a masking key (§5.1) | 1002 |
/// | RSV1, RSV2 or RSV3 set: no extension is ever negotiated (§5.2) | 1002 |
/// | a reserved opcode, 0x3-0x7 or 0xB-0xF (§5.2) | 1002 |
/// | a control frame that is fragmented or carries more than 125 bytes (§5.5) | 1002 |
/// | a continuation with no message started, or a new message while one is unfinished (§5.4) | 1002 |
/// | a close frame with a 1-byte body, or a code that may not be sent (§7.4) | 1002 |
/// | a text message, or a close reason, that is not valid UTF-8 (§8.1) | 1007 |
/// | a message larger than `maxMessageSize`, counted across its fragments | 1009 |
/// | a frame NIO's decoder refuses: over its size limit | 1009 |
/// | a frame NIO's decoder refuses: a control frame fragmented or over 125 bytes | 1002 |
///
/// Ping, pong and close frames are passed on as they arrive, also between the fragments of
/// a message (§5.4). Data frames are passed on once complete, as one unmasked frame with
/// `fin` set — except a single-frame text message larger than
/// ``OpenEnvServer/inlineMessageLimit``, passed on still masked and not yet checked for UTF-8:
/// ``WebSocketConnectionHandler`` unmasks and checks it on the step pool (1007 there), so no
/// event loop spends milliseconds on one message.
///
/// Lives on its channel's event loop. `package`: the fuzz target (`Fuzz/`) drives it.
package final class WebSocketFrameValidator: ChannelInboundHandler {
    package typealias InboundIn = WebSocketFrame
    package typealias InboundOut = WebSocketFrame

    /// A violation of RFC 6455 by the peer: what it was and the close code it earns.
    struct Violation: Error, Equatable {
        var code: WebSocketErrorCode
        var reason: String
    }

    private let maxMessageSize: Int
    /// The opcode and bytes of a fragmented message in progress.
    private var partial: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var failed = false

    /// - Parameter maxMessageSize: the largest message accepted, across all its fragments.
    package init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        do {
            if let frame = try accept(unwrapInboundIn(data)) { context.fireChannelRead(wrapInboundOut(frame)) }
        } catch {
            fail(context: context, error)
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !failed else { return }  // e.g. the decoder refusing bytes after its own error
        guard let error = error as? NIOWebSocketError else {
            context.fireErrorCaught(error)
            return
        }
        switch error {
        case .invalidFrameLength: fail(context: context, Violation(code: .messageTooLarge, reason: "frame too large"))
        default: fail(context: context, Violation(code: .protocolError, reason: "invalid control frame"))
        }
    }

    /// Checks one frame; returns what to pass on (`nil` for a fragment kept for later).
    func accept(_ frame: WebSocketFrame) throws(Violation) -> WebSocketFrame? {
        guard frame.maskKey != nil else { throw Violation(code: .protocolError, reason: "client frames must be masked") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            throw Violation(code: .protocolError, reason: "reserved bits set without a negotiated extension")
        }
        switch frame.opcode {
        case .ping, .pong:
            try Self.checkControl(frame)
            return frame
        case .connectionClose:
            try Self.checkControl(frame)
            try Self.checkCloseBody(frame.unmaskedData)
            return frame
        case .text, .binary:
            guard partial == nil else { throw Violation(code: .protocolError, reason: "new message before the previous one finished") }
            if frame.opcode == .text, frame.fin, frame.length > OpenEnvServer.inlineMessageLimit {
                try checkSize(frame.length)
                return frame  // unmasked and checked off the event loop
            }
            let data = frame.unmaskedData
            try checkSize(data.readableBytes)
            if frame.fin { return try Self.message(frame.opcode, data) }
            partial = (frame.opcode, data)
            return nil
        case .continuation:
            guard case (let opcode, var data)? = partial else { throw Violation(code: .protocolError, reason: "continuation frame without a message") }
            partial = nil
            var more = frame.unmaskedData
            try checkSize(data.readableBytes + more.readableBytes)
            data.writeBuffer(&more)
            if frame.fin { return try Self.message(opcode, data) }
            partial = (opcode, data)
            return nil
        default:
            throw Violation(code: .protocolError, reason: "reserved opcode")
        }
    }

    private func checkSize(_ size: Int) throws(Violation) {
        guard size <= maxMessageSize else { throw Violation(code: .messageTooLarge, reason: "message too large") }
    }

    private static func checkControl(_ frame: WebSocketFrame) throws(Violation) {
        guard frame.fin, frame.length <= 125 else {
            throw Violation(code: .protocolError, reason: "control frames must be whole and at most 125 bytes")
        }
    }

    /// A close body is empty, or a code that an endpoint may send followed by UTF-8 (§5.5.1, §7.4).
    private static func checkCloseBody(_ body: ByteBuffer) throws(Violation) {
        guard body.readableBytes > 0 else { return }
        var body = body
        guard let code = body.readInteger(as: UInt16.self) else {
            throw Violation(code: .protocolError, reason: "close frame with a 1-byte body")
        }
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: break
        default: throw Violation(code: .protocolError, reason: "invalid close code \(code)")
        }
        guard UTF8Validation.isValid(body.readableBytesView) else {
            throw Violation(code: .dataInconsistentWithMessage, reason: "close reason is not valid UTF-8")
        }
    }

    private static func message(_ opcode: WebSocketOpcode, _ data: ByteBuffer) throws(Violation) -> WebSocketFrame {
        if opcode == .text, !UTF8Validation.isValid(data.readableBytesView) {
            throw Violation(code: .dataInconsistentWithMessage, reason: "text message is not valid UTF-8")
        }
        return WebSocketFrame(fin: true, opcode: opcode, data: data)
    }

    /// Fails the connection: the rest of the pipeline is told to send `violation`'s close
    /// frame and close at once (``WebSocketConnectionHandler/CloseRequest``).
    private func fail(context: ChannelHandlerContext, _ violation: Violation) {
        guard !failed else { return }
        failed = true
        partial = nil
        context.fireUserInboundEventTriggered(
            WebSocketConnectionHandler.CloseRequest(code: violation.code, reason: violation.reason, immediately: true))
    }
}
