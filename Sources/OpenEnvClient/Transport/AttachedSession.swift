import OpenEnvCore

/// A session created over HTTP and driven through a WebSocket attached to it (spec §2.8,
/// §4.9): `openenv/session/create`, then `/ws?session_id=<id>`. Closing sends `close` on
/// the socket first (so the server detaches it), then `openenv/session/close`, as the
/// reference `MCPToolClient` does.
struct AttachedSession: SessionTransport {
    let id: String
    let socket: WebSocketSession
    let rpc: JSONRPCClient

    /// Creates the session and attaches to it. If attaching fails the session is closed
    /// again, so nothing is left on the server.
    static func open(_ http: HTTPJSONClient) async throws(OpenEnvError) -> AttachedSession {
        let rpc = JSONRPCClient(http: http)
        let id = try await rpc.createSession()
        do throws(OpenEnvError) {
            let socket = try await WebSocketSession.connect(url: http.address.webSocketURL(attachingTo: id), configuration: http.configuration)
            return AttachedSession(id: id, socket: socket, rpc: rpc)
        } catch {
            try? await rpc.closeSession(id)
            throw error
        }
    }

    var sessionID: String? { id }

    func reset(_ arguments: JSONObject) async throws(OpenEnvError) -> JSONObject { try await socket.reset(arguments) }
    func step(_ action: JSONValue) async throws(OpenEnvError) -> JSONObject { try await socket.step(action) }
    func state() async throws(OpenEnvError) -> JSONValue { try await socket.state() }

    func close() async {
        await socket.close()
        try? await rpc.closeSession(id)
    }
}
