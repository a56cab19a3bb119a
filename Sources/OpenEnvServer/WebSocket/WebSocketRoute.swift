/// The WebSocket routes a server offers: one table for the upgrade check, the endpoint that
/// serves each connection, and the HTTP router (a plain `GET` on a WebSocket path is 404).
enum WebSocketRoute: String, CaseIterable, Sendable {
    /// `/ws`: the session protocol (spec §2).
    case session = "/ws"
    /// WebSocket `/mcp`: JSON-RPC (spec §4.6).
    case jsonRPC = "/mcp"
    /// `/harness`: agent turns (spec §2.9), in production mode for harness environments.
    case harness = "/harness"

    /// The routes `server` offers.
    static func offered(by server: OpenEnvServer) -> [WebSocketRoute] {
        allCases.filter { $0 != .harness || server.servesHarness }
    }

    /// The route of an upgrade request's path (query excluded), when it is offered.
    static func matching(_ uri: String, in offered: [WebSocketRoute]) -> WebSocketRoute? {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        return offered.first { $0.rawValue == path }
    }

    /// The endpoint that serves one connection on this route.
    func endpoint(
        for request: HTTPRequest, registry: SessionRegistry, dispatcher: JSONRPCDispatcher, configuration: ServerConfiguration
    ) -> any WebSocketEndpoint {
        if configuration.echoFramesOnly { return FrameEchoEndpoint() }
        switch self {
        case .session:
            if let numEnvs = request.query["num_envs"] {
                return VectorSessionEndpoint(
                    registry: registry, messageLimit: configuration.maxMessageSize, numEnvs: numEnvs, principal: request.principal,
                    threads: configuration.vectorThreads)
            }
            return SessionEndpoint(
                registry: registry, dispatcher: dispatcher, messageLimit: configuration.maxMessageSize, attachTo: request.query["session_id"],
                principal: request.principal)
        case .jsonRPC:
            return JSONRPCEndpoint(registry: registry, dispatcher: dispatcher, principal: request.principal)
        case .harness:
            return HarnessEndpoint(registry: registry, principal: request.principal)
        }
    }
}
