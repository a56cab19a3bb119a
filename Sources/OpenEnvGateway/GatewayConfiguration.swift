/// What `openenv gateway` is told: where it listens, its backends, who may change them, and
/// the bounds it holds clients and backends to.
public struct GatewayConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The backends at start (`--backend`); `PUT /admin/backends` replaces the set later.
    public var backends: [BackendAddress]
    /// `NAME:PORT`: also take as backends every address `NAME` resolves to, resolved again
    /// at each health interval (a Kubernetes headless Service). Replaces the whole set each
    /// time, like `PUT /admin/backends`.
    public var backendDNS: String?
    /// On SIGTERM: no new connections, then open relays get this long to end before they
    /// are failed (their clients get `BACKEND_LOST` naming the shutdown).
    public var drainTimeout: Duration = .seconds(30)
    /// The bearer token `PUT /admin/backends` requires. `nil`: the admin routes answer 403
    /// (the set is fixed by `--backend`). Never forwarded, never a backend's token.
    public var adminToken: String?
    /// The largest WebSocket frame and HTTP body accepted from a client or a backend.
    public var maxMessageSize: Int
    /// A client must send a whole HTTP request within this (slowloris bound).
    public var requestTimeout: Duration
    /// Connecting to a backend and its WebSocket handshake must finish within this.
    public var connectTimeout: Duration
    /// A proxied HTTP request (a step may be long) must be answered within this.
    public var upstreamTimeout: Duration
    /// How often each backend's `GET /ready` is polled, and how long a poll may take.
    public var healthInterval: Duration
    public var healthTimeout: Duration
    /// Polls failed in a row before a backend counts as dead (its sessions are failed).
    public var failuresBeforeDown: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, backends: [BackendAddress] = [], adminToken: String? = nil,
        maxMessageSize: Int = 16 * 1024 * 1024, requestTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(5),
        upstreamTimeout: Duration = .seconds(600), healthInterval: Duration = .seconds(1), healthTimeout: Duration = .seconds(2),
        failuresBeforeDown: Int = 3
    ) {
        self.host = host
        self.port = port
        self.backends = backends
        self.adminToken = adminToken
        self.maxMessageSize = maxMessageSize
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.upstreamTimeout = upstreamTimeout
        self.healthInterval = healthInterval
        self.healthTimeout = healthTimeout
        self.failuresBeforeDown = failuresBeforeDown
    }
}
