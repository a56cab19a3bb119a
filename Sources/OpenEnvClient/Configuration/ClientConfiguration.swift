import Logging
import NIOSSL

/// How a client talks to a server. The defaults are the reference client's (spec §2.5, §6.1).
public struct ClientConfiguration: Sendable {
    /// Longest wait for a connection (TCP, TLS and the WebSocket handshake). Default 10 s.
    public var connectTimeout: Duration
    /// Longest wait for one reply. After it the connection is dropped and the session is
    /// lost (a late reply could not be paired). Default 60 s.
    public var replyTimeout: Duration
    /// Largest accepted incoming message. Default 100 MiB, as the reference client.
    public var maxIncomingMessageSize: Int
    /// Largest message the client sends; larger requests fail locally with
    /// ``OpenEnvError/messageTooLarge(size:limit:)``. Default one byte below 16 MiB,
    /// the reference server's (uvicorn's) limit.
    public var maxOutgoingMessageSize: Int
    /// WebSocket ping period; a server that has not answered a ping by the next one is
    /// considered gone (the session is lost). `nil` disables pings. Default 20 s.
    public var pingInterval: Duration?
    /// Extra headers on every HTTP request and on the WebSocket handshake, e.g.
    /// `["Authorization": "Bearer hf_…"]` for a private Hugging Face Space.
    public var headers: [String: String]
    /// TLS settings for `https`/`wss`; `nil` uses the system's trust roots.
    public var tlsConfiguration: TLSConfiguration?
    public var logger: Logger

    public init(
        connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(60),
        maxIncomingMessageSize: Int = 100 * 1024 * 1024, maxOutgoingMessageSize: Int = 16 * 1024 * 1024 - 1,
        pingInterval: Duration? = .seconds(20), headers: [String: String] = [:], tlsConfiguration: TLSConfiguration? = nil,
        logger: Logger = Logger(label: "openenv.client")
    ) {
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
        self.maxIncomingMessageSize = maxIncomingMessageSize
        self.maxOutgoingMessageSize = maxOutgoingMessageSize
        self.pingInterval = pingInterval
        self.headers = headers
        self.tlsConfiguration = tlsConfiguration
        self.logger = logger
    }
}
