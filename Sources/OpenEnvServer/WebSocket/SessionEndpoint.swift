import NIOCore
import OpenEnvCore

/// `/ws`: one connection bound to one session (spec §2). Without `session_id` the
/// connection creates and owns a session; with one it attaches to an HTTP-created session.
///
/// Used sequentially by its connection (see ``WebSocketEndpoint``), so its state needs no lock.
final class SessionEndpoint: WebSocketEndpoint, @unchecked Sendable {
    private let registry: SessionRegistry
    private let dispatcher: JSONRPCDispatcher
    private let messageLimit: Int
    private let requestedSession: String?
    private let connection = ConnectionID.next()
    private let principal: AccessPrincipal?
    /// The protocol of the bound session, made once it is bound.
    private var handler: SessionMessageHandler?
    private var session: Session? { handler?.session }
    private var attached = false
    private var finished = false

    init(registry: SessionRegistry, dispatcher: JSONRPCDispatcher, messageLimit: Int, attachTo sessionID: String?, principal: AccessPrincipal? = nil) {
        self.principal = principal
        self.registry = registry
        self.dispatcher = dispatcher
        self.messageLimit = messageLimit
        requestedSession = sessionID.flatMap { $0.isEmpty ? nil : $0 }
    }

    func open(_ socket: SocketWriter) async -> Bool {
        let endHandler: SessionEndHandler = { reason in
            if let reason { socket.send(text: WireFrames.error(reason)) }
            socket.close()
        }
        do {
            if let requestedSession {
                let session = try await registry.lookup(requestedSession, as: principal)
                try session.attach(connection, endHandler: endHandler)
                handler = SessionMessageHandler(session: session, dispatcher: dispatcher)
                attached = true
            } else {
                let session = try await registry.create(owner: .webSocket(connection), principal: principal)
                session.bindOwnerSocket(connection, endHandler: endHandler)
                handler = SessionMessageHandler(session: session, dispatcher: dispatcher)
            }
            return true
        } catch {
            socket.send(text: WireFrames.error(error))
            return false
        }
    }

    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool {
        guard let handler, !finished else { return false }
        let reply: SessionMessageHandler.Reply
        switch message {
        case .binary:
            reply = handler.handleBinary()
        case .text(let buffer) where buffer.readableBytes > messageLimit:
            reply = .init(
                frame: WireFrames.error("MESSAGE_TOO_LARGE", "Message of \(buffer.readableBytes) bytes exceeds the server's limit of \(messageLimit) bytes"),
                closeAfter: true)
        case .text(let buffer):
            reply = await handler.handle(frame: buffer)
        }
        if let frame = reply.frame { socket.send(text: frame) }
        guard reply.closeAfter else { return true }
        // A close message ends the session at the client's wish; an error frame (or none,
        // past the deadline) ends it for a fault.
        await finish(cause: reply.frame == nil && !reply.deadlinePassed ? .client : (reply.deadlinePassed ? .deadline : .error))
        return false
    }

    /// A plain step of a ``SynchronousEnvironment`` that its session can take now
    /// (``SessionMessageHandler/handleNow(frame:)``); `nil` for everything else.
    func receiveNow(_ message: WebSocketMessage, _ socket: SocketWriter) -> Bool? {
        guard let handler, !finished, case .text(let buffer) = message, buffer.readableBytes <= messageLimit,
            let reply = handler.handleNow(frame: buffer)
        else { return nil }
        if let frame = reply.frame { socket.send(text: frame) }
        return !reply.closeAfter  // handleNow's replies keep the connection; were one not to, it closes
    }

    func closed(cause: SessionCloseCause) async { await finish(cause: cause) }

    /// Releases the session once: an owned session is destroyed, an attached one detached
    /// (and destroyed if a close was requested meanwhile).
    private func finish(cause: SessionCloseCause) async {
        guard !finished, let session else { return }
        finished = true
        let closeRequested = attached ? session.detach(connection) : false
        if !attached || closeRequested { await registry.destroy(session.id, cause: cause) }
    }
}
