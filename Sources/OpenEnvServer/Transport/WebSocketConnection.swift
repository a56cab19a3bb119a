import NIOCore
import NIOWebSocket

/// A complete WebSocket message, after fragments were joined.
enum WebSocketMessage: Sendable {
    case text(ByteBuffer)
    case binary
}

/// The application side of one WebSocket connection.
///
/// The connection calls ``open(_:)`` once, then ``receive(_:_:)`` for each message in
/// order, never two at a time, then ``closed(cause:)`` exactly once when the connection is gone.
/// Conformers may therefore keep per-connection state without locks (they are used
/// sequentially); they must not touch it from other tasks.
protocol WebSocketEndpoint: AnyObject, Sendable {
    /// Sets up the connection; returns `false` to close it (after anything sent).
    func open(_ socket: SocketWriter) async -> Bool
    /// Handles one message; returns `false` to close the connection afterwards.
    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool
    /// Handles one message at once, on the event loop, when it can be answered without
    /// suspending (and without the upgrade's trace context); `nil`, with nothing done,
    /// otherwise: the message then goes to ``receive(_:_:)``. Saves the task that
    /// ``receive(_:_:)`` runs in. The default answers `nil`.
    func receiveNow(_ message: WebSocketMessage, _ socket: SocketWriter) -> Bool?
    /// The connection is gone; release what it held. `cause` says why, for the session's
    /// close reason in the metrics (``SessionCloseCause``).
    func closed(cause: SessionCloseCause) async
}

extension WebSocketEndpoint {
    func receiveNow(_ message: WebSocketMessage, _ socket: SocketWriter) -> Bool? { nil }
}

/// Sends frames on one WebSocket connection from any task. Writes are ordered; a close
/// sends a close frame (1000) and ends the connection.
struct SocketWriter: Sendable {
    let channel: any Channel
    /// Counts every text frame sent (``ServerMetrics``).
    var metrics: ServerMetrics? = nil

    /// Whether the connection is still up (frames sent after it went down are dropped).
    var isOpen: Bool { channel.isActive }

    /// Sends one text frame.
    func send(text bytes: [UInt8]) {
        metrics?.sent(webSocketMessage: bytes.count)
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }

    /// Sends one text frame.
    func send(text: String) { send(text: Array(text.utf8)) }

    /// Starts the closing handshake with `code`; the connection ends when the peer answers
    /// or after a grace period.
    func close(code: WebSocketErrorCode = .normalClosure) {
        channel.pipeline.fireUserInboundEventTriggered(WebSocketConnectionHandler.CloseRequest(code: code))
    }
}
