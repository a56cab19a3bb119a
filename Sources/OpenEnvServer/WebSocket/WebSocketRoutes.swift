import Hummingbird
import HummingbirdWebSocket
import Logging
import OpenEnvCore

/// The WebSocket endpoints: `/ws` (the simulation channel, spec §2) and `/mcp` (bare
/// JSON-RPC frames, spec §4.6). Connection handling only: the message protocol lives in
/// ``SessionSocketProtocol``.
struct WebSocketRoutes: Sendable {
    let registry: SessionRegistry
    let dispatcher: JSONRPCDispatcher
    let configuration: ServerConfiguration
    let logger: Logger

    func register(on router: Router<BasicWebSocketRequestContext>) {
        router.ws("/ws") { inbound, outbound, context in
            let sessionID = context.request.uri.queryParameters["session_id"].map(String.init)
            await serveSimulation(inbound: inbound, outbound: outbound, attachTo: sessionID)
        }
        router.ws("/mcp") { inbound, outbound, _ in
            await serveJSONRPC(inbound: inbound, outbound: outbound)
        }
    }

    private static func kicker(_ outbound: WebSocketOutboundWriter, frame: @escaping @Sendable (SessionError) -> String) -> SocketKicker {
        { reason in
            if let reason { try? await outbound.write(.text(frame(reason))) }
            try? await outbound.close(.normalClosure, reason: nil)
        }
    }

    /// `/ws`: create an owned session (or attach to an HTTP-created one), then answer
    /// frames until `close`, a fatal frame, disconnection or the session's end.
    private func serveSimulation(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, attachTo requestedID: String?) async {
        let connection = ConnectionID.next()
        let kicker = Self.kicker(outbound) { WireFrames.error($0) }
        let session: Session
        let attached: Bool
        do {
            if let requestedID, !requestedID.isEmpty {
                session = try await registry.lookup(requestedID)
                try await session.attach(connection, kicker: kicker)
                attached = true
            } else {
                session = try await registry.create(owner: .webSocket(connection))
                await session.bindOwnerSocket(connection, kicker: kicker)
                attached = false
            }
        } catch {
            try? await outbound.write(.text(WireFrames.error(error)))
            return
        }
        let handler = SessionSocketProtocol(session: session, dispatcher: dispatcher)
        var sessionBroken = false
        do {
            for try await message in inbound.messages(maxSize: configuration.maxMessageSize * 2) {
                let reply: SessionSocketProtocol.Reply
                switch message {
                case .text(let text) where text.utf8.count > configuration.maxMessageSize:
                    reply = .init(frame: WireFrames.error("MESSAGE_TOO_LARGE", "Message of \(text.utf8.count) bytes exceeds the server's limit of \(configuration.maxMessageSize) bytes"), closeAfter: true)
                case .text(let text): reply = await handler.handle(text: text)
                case .binary: reply = handler.handleBinary()
                }
                if let frame = reply.frame { try await outbound.write(.text(frame)) }
                if reply.destroysSession { sessionBroken = true }
                if reply.closeAfter { break }
            }
        } catch {
            logger.debug("websocket ended", metadata: ["error": "\(error)"])
        }
        // The reply already told the client why; the session's end needs no second frame.
        let closeRequested = attached ? await session.detach(connection) : false
        if !attached || sessionBroken || closeRequested {
            await registry.destroy(session.id)
        }
    }

    /// WebSocket `/mcp`: a session for the connection's lifetime; one JSON-RPC request per
    /// text frame, answered in Python `json.dumps` formatting.
    private func serveJSONRPC(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let writer = JSONWriter(style: .python)
        let connection = ConnectionID.next()
        let kicker = Self.kicker(outbound) { error in
            writer.string(JSONRPCDispatcher.error(.null, -32000, error.description))
        }
        let session: Session
        do {
            session = try await registry.create(owner: .webSocket(connection))
            await session.bindOwnerSocket(connection, kicker: kicker)
        } catch {
            try? await outbound.write(.text(writer.string(JSONRPCDispatcher.error(.null, -32000, error.description, data: .object(error.extraFields)))))
            return
        }
        do {
            for try await message in inbound.messages(maxSize: configuration.maxMessageSize) {
                switch message {
                case .binary:
                    try await outbound.write(.text(writer.string(JSONRPCDispatcher.error(.null, -32000, "binary frames are not JSON-RPC requests"))))
                    await registry.destroy(session.id)
                    return
                case .text(let text):
                    let value: JSONValue
                    do {
                        value = try JSONParser.parse(text)
                    } catch {
                        try await outbound.write(.text(writer.string(JSONRPCDispatcher.error(.null, -32700, "Parse error: \(error)"))))
                        continue
                    }
                    guard case .object(let request) = value else {
                        try await outbound.write(.text(writer.string(JSONRPCDispatcher.error(
                            .null, -32000, "'\(value.pythonTypeName)' object has no attribute 'get'"))))
                        await registry.destroy(session.id)
                        return
                    }
                    let response = await dispatcher.handle(request: request, binding: .socket(session))
                    try await outbound.write(.text(writer.string(response)))
                }
            }
        } catch {
            logger.debug("websocket ended", metadata: ["error": "\(error)"])
        }
        await registry.destroy(session.id)
    }
}
