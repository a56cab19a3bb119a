import OpenEnvCore

/// How a client reaches its server session.
public struct Transport: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable { case webSocket, attachedWebSocket, http, httpSession }
    let kind: Kind

    /// One `/ws` connection owns one session (spec §2); what the reference clients use.
    /// Works with every OpenEnv server.
    public static let webSocket = Transport(kind: .webSocket)
    /// A session created over HTTP (`openenv/session/create`) and driven over
    /// `/ws?session_id=<id>` (spec §2.8); what the reference `MCPToolClient` uses. Its
    /// tools are also reachable over `POST /mcp` with the session id. Closing sends
    /// `close` on the socket, then `openenv/session/close`.
    public static let attachedWebSocket = Transport(kind: .attachedWebSocket)
    /// The stateless HTTP routes `POST /reset`, `POST /step`, `GET /state`: every request
    /// runs on a fresh environment (as in the reference). Simulation-mode servers only.
    public static let http = Transport(kind: .http)
    /// An HTTP-created session driven by the HTTP routes with its `session_id`. Stateful on
    /// swift-openenv servers only: the reference server ignores the session id.
    public static let httpSession = Transport(kind: .httpSession)

    public var description: String {
        switch kind {
        case .webSocket: "webSocket"
        case .attachedWebSocket: "attachedWebSocket"
        case .http: "http"
        case .httpSession: "httpSession"
        }
    }

    /// A connector that opens a new session of this kind at `address`.
    func connector(_ address: ServerAddress, _ configuration: ClientConfiguration) -> SessionConnector {
        let http = HTTPJSONClient(address: address, configuration: configuration)
        switch kind {
        case .webSocket:
            return { () async throws(OpenEnvError) -> any SessionTransport in
                try await WebSocketSession.connect(url: address.webSocketURL, configuration: configuration)
            }
        case .attachedWebSocket:
            return { () async throws(OpenEnvError) -> any SessionTransport in
                try await AttachedSession.open(http)
            }
        case .http:
            return { () async throws(OpenEnvError) -> any SessionTransport in HTTPSession.stateless(http) }
        case .httpSession:
            return { () async throws(OpenEnvError) -> any SessionTransport in try await HTTPSession.session(http) }
        }
    }
}
