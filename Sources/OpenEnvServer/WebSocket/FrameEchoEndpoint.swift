import NIOCore

/// `/ws` with ``ServerConfiguration/echoFramesOnly``: answers every text frame with the
/// frame itself, with no session or environment. It measures the transport alone — the
/// floor that the benchmark compares real steps with.
final class FrameEchoEndpoint: WebSocketEndpoint {
    func open(_ socket: SocketWriter) async -> Bool { true }

    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool {
        receiveNow(message, socket) ?? false
    }

    /// Every message is answered at once, as a session's steps are when they can be
    /// (``SessionEndpoint/receiveNow(_:_:)``): the floor is the cheapest path a step can take.
    func receiveNow(_ message: WebSocketMessage, _ socket: SocketWriter) -> Bool? {
        guard case .text(let buffer) = message else { return false }
        socket.send(text: Array(buffer.readableBytesView))
        return true
    }

    func closed(cause: SessionCloseCause) async {}
}
