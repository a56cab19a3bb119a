/// How a server runs. A value with documented defaults, passed down to every layer.
public struct ServerConfiguration: Sendable, Equatable {
    /// Which HTTP simulation routes exist (the reference's `OPENENV_MODE`).
    public enum Mode: String, Sendable, CaseIterable {
        /// Everything, including HTTP `/reset`, `/step`, `/state`.
        case simulation
        /// Without HTTP `/reset`, `/step`, `/state` (`/ws` still offers them, as in the reference).
        case production
    }

    public var host: String
    public var port: Int
    public var mode: Mode
    /// Sessions admitted at once (`/ws`, WebSocket `/mcp` and HTTP-created sessions share
    /// the pool). `nil`: the environment's own default.
    public var maxSessions: Int?
    /// Idle time after which an HTTP-created session with no attached socket is closed.
    /// `nil` disables reaping. Default 300 s. Sessions owned by a live socket are never
    /// reaped for idleness: their socket's pings decide.
    public var sessionTimeout: Duration?
    /// Server-side WebSocket ping period. `nil` disables pings. Default 20 s.
    public var pingInterval: Duration?
    /// How long a peer may take to answer a ping before it is disconnected and its session
    /// closed. Default 20 s (uvicorn's).
    public var pingTimeout: Duration
    /// Longest a single reset/step/state/tool call may run before the caller gets an error
    /// and the session is closed. `nil` disables the deadline. Default none.
    public var stepTimeout: Duration?
    /// Largest accepted WebSocket message and HTTP body, in bytes. Default 16 MiB (the
    /// reference's uvicorn limit).
    public var maxMessageSize: Int
    /// Graceful shutdown (SIGTERM/SIGINT): how long connections may take to answer what
    /// they had received before the signal. Past it, a WebSocket still busy gets close
    /// 1011 and the sessions are closed. Default 10 s.
    public var drainTimeout: Duration = .seconds(10)
    /// How long an HTTP request may take to arrive whole, counted from when its connection
    /// became idle; slower clients (and idle keep-alive connections) are closed. Default 30 s.
    public var requestTimeout: Duration = .seconds(30)
    /// Threads of the step pool, where ``ExecutionPolicy/threadPool`` environments run.
    /// `nil`: twice the cores, at least four.
    public var stepThreads: Int?
    /// Threads one batched-stepping message (`/ws?num_envs=N`) uses at once: its
    /// environments are split into up to this many chunks of at least 32 environments (and
    /// no more than the cores) and the chunks step in parallel: on the global concurrent pool
    /// for event-loop environments, on the step pool for the others (``VectorChunks``).
    /// `nil`: the cores. 1: one after another, on the connection's thread.
    public var vectorThreads: Int?
    /// Benchmark floor only: `/ws` echoes every frame back, with no session or environment.
    public var echoFramesOnly = false
    /// Bearer tokens every route but `/health` and `/ready` requires, each with its own
    /// session limit (``AccessTokens``). `nil` (the default): no authentication, every
    /// response exactly as without this setting.
    public var accessTokens: AccessTokens?
    /// Browser origins (`https://app.example`, or `*`) whose requests get CORS headers and
    /// whose preflights are answered. Empty (the default): no CORS header is ever sent.
    public var corsAllowedOrigins: [String] = []
    /// Where `GET /metrics` reads from; `nil` (the default): no `/metrics` route and nothing
    /// recorded.
    public var metrics: ServerMetrics?
    /// With ``accessTokens``, whether `/metrics` needs a token like every other route
    /// (default) or is open like `/health`.
    public var metricsRequireToken = true
    /// Where spans of resets, steps and tool calls go, with the `traceparent` of requests
    /// honoured (``ServerTracing``); `nil` (the default): no span, no header read.
    public var tracing: ServerTracing?
    /// Whether the browser page is served at `/web/` (with `/` and `/web` redirecting to it,
    /// and its capabilities at `/web/config.json`). Default off; `openenv serve --web`
    /// decides for the command line (``WebRoutes``).
    public var webInterface = false
    /// The README the page shows (`GET /web/metadata`'s `readme_content`) instead of the
    /// environment's own; `openenv serve` reads it from `$ENV_README_PATH`, as the reference's
    /// web UI does. `nil`: the environment's.
    public var webReadme: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8000, mode: Mode = .simulation, maxSessions: Int? = nil,
        sessionTimeout: Duration? = .seconds(300), pingInterval: Duration? = .seconds(20), pingTimeout: Duration = .seconds(20), stepTimeout: Duration? = nil,
        maxMessageSize: Int = 16 * 1024 * 1024
    ) {
        self.host = host
        self.port = port
        self.mode = mode
        self.maxSessions = maxSessions
        self.sessionTimeout = sessionTimeout
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.stepTimeout = stepTimeout
        self.maxMessageSize = maxMessageSize
    }
}
