import NIOCore
import OpenEnvCore

/// WebSocket `/mcp` (spec §4.6): a session for the connection's lifetime; one JSON-RPC
/// request per text frame, answered in Python `json.dumps` formatting. A non-object JSON
/// value or a binary frame gets `-32000` and ends the connection.
///
/// Used sequentially by its connection (see ``WebSocketEndpoint``), so its state needs no lock.
final class JSONRPCEndpoint: WebSocketEndpoint, @unchecked Sendable {
    private let registry: SessionRegistry
    private let dispatcher: JSONRPCDispatcher
    private let connection = ConnectionID.next()
    private let principal: AccessPrincipal?
    private let writer = JSONWriter(style: .python)
    private var session: Session?
    private var finished = false

    init(registry: SessionRegistry, dispatcher: JSONRPCDispatcher, principal: AccessPrincipal? = nil) {
        self.principal = principal
        self.registry = registry
        self.dispatcher = dispatcher
    }

    private func error(_ code: Int, _ message: String, data: JSONValue = .null) -> [UInt8] {
        writer.bytes(JSONRPCDispatcher.error(.null, code, message, data: data))
    }

    func open(_ socket: SocketWriter) async -> Bool {
        do {
            let session = try await registry.create(owner: .webSocket(connection), principal: principal)
            let writer = self.writer
            session.bindOwnerSocket(connection) { reason in
                if let reason { socket.send(text: writer.bytes(JSONRPCDispatcher.error(.null, -32000, reason.description))) }
                socket.close()
            }
            self.session = session
            return true
        } catch {
            socket.send(text: self.error(-32000, error.description, data: .object(error.extraFields)))
            return false
        }
    }

    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool {
        guard let session, !finished else { return false }
        guard case .text(let buffer) = message else {
            socket.send(text: error(-32000, "binary frames are not JSON-RPC requests"))
            await finish(cause: .error)
            return false
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer.readableBytesView)
        } catch {
            socket.send(text: self.error(-32700, "Parse error: \(error)"))
            return true
        }
        guard case .object(let request) = value else {
            socket.send(text: error(-32000, "'\(value.pythonTypeName)' object has no attribute 'get'"))
            await finish(cause: .error)
            return false
        }
        socket.send(text: writer.bytes(await dispatcher.handle(request: request, binding: .socket(session))))
        return true
    }

    func closed(cause: SessionCloseCause) async { await finish(cause: cause) }

    private func finish(cause: SessionCloseCause) async {
        guard !finished, let session else { return }
        finished = true
        await registry.destroy(session.id, cause: cause)
    }
}
