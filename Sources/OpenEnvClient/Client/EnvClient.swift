import OpenEnvCore

/// A client for one environment session on an OpenEnv server, typed by the environment's
/// action, observation and state (spec §6.1).
///
/// The types are plain `Codable` values; Swift `camelCase` names travel as `snake_case`
/// (OpenEnvCore's encoder and decoder). Decoding ignores keys the types do not declare,
/// so an observation type need not model `metadata`. A swift-openenv environment's own
/// types work as they are:
///
/// ```swift
/// let env = try await EnvClient<GridEnvironment.Action, GridEnvironment.Observation, GridEnvironment.State>
///     .connect(to: "http://127.0.0.1:8000")
/// var result = try await env.reset(seed: 7)
/// while !result.done { result = try await env.step(.init(.right)) }
/// await env.close()
/// ```
///
/// Calls are answered in the order they were made. A client never reconnects by itself:
/// once its session is lost every call throws ``OpenEnvError/sessionLost(_:)``, until
/// ``reconnectToFreshSession(backoff:)`` replaces it with a new, empty session (which
/// refuses `step` until `reset`). The reference Python client instead reconnects
/// silently and carries on in a fresh environment as if the episode had survived.
///
/// Calls throw ``OpenEnvError`` (``launch(_:transport:configuration:)`` also
/// ``ProviderError``; a cancelled ``reconnectToFreshSession(backoff:)`` `CancellationError`).
public actor EnvClient<Action: Encodable & Sendable, Observation: Decodable & Sendable, State: Decodable & Sendable> {
    private enum Link {
        case active(any SessionTransport)
        /// Between sessions: reconnecting, or every reconnection attempt failed.
        case detached
        case closed
    }

    /// The server this client talks to.
    public nonisolated let address: ServerAddress
    public nonisolated let transport: Transport
    public nonisolated let configuration: ClientConfiguration
    private let connector: SessionConnector
    private var link: Link
    private var generation = 1
    private var needsReset = false
    /// A server started for this client by a provider, stopped by ``close()``.
    private var server: (any RunningServer)?

    init(address: ServerAddress, transport: Transport, configuration: ClientConfiguration, connector: @escaping SessionConnector, session: any SessionTransport, server: (any RunningServer)?) {
        self.address = address
        self.transport = transport
        self.configuration = configuration
        self.connector = connector
        self.link = .active(session)
        self.server = server
    }

    /// Opens a session on the server at `baseURL` (`http://host:port`, `https://…`,
    /// `host:port`; see ``ServerAddress``).
    public static func connect(to baseURL: String, transport: Transport = .webSocket, configuration: ClientConfiguration = ClientConfiguration()) async throws -> EnvClient {
        try await connect(to: try ServerAddress(baseURL), transport: transport, configuration: configuration)
    }

    /// Opens a session on the server at `address`.
    public static func connect(to address: ServerAddress, transport: Transport = .webSocket, configuration: ClientConfiguration = ClientConfiguration()) async throws -> EnvClient {
        try await connect(to: address, transport: transport, configuration: configuration, server: nil)
    }

    /// Starts a server with `provider`, waits until it is healthy and opens a session on
    /// it. The client owns the server: ``close()`` stops it. If the session cannot be
    /// opened, the server is stopped before the error is thrown.
    public static func launch(_ provider: some ServerProvider, transport: Transport = .webSocket, configuration: ClientConfiguration = ClientConfiguration()) async throws -> EnvClient {
        let server = try await provider.start()
        do {
            return try await connect(to: server.address, transport: transport, configuration: configuration, server: server)
        } catch {
            await server.stop()
            throw error
        }
    }

    static func connect(to address: ServerAddress, transport: Transport, configuration: ClientConfiguration, server: (any RunningServer)?) async throws(OpenEnvError) -> EnvClient {
        let connector = transport.connector(address, configuration)
        let session = try await connector()
        return EnvClient(address: address, transport: transport, configuration: configuration, connector: connector, session: session, server: server)
    }

    /// The server's id for the current session, when the transport knows it
    /// (``Transport/attachedWebSocket``, ``Transport/httpSession``).
    public var sessionID: String? {
        if case .active(let session) = link { session.sessionID } else { nil }
    }

    /// 1 for the first session, incremented by each ``reconnectToFreshSession(backoff:)``.
    public var sessionGeneration: Int { generation }

    /// Starts an episode. `seed` and `episodeID` travel as `seed` and `episode_id` next to
    /// `options` (other keyword arguments of the environment's reset); only what is given
    /// is sent.
    public func reset(seed: Int? = nil, episodeID: String? = nil, options: JSONObject = [:]) async throws -> StepResult<Observation> {
        var arguments = options
        if let seed { arguments["seed"] = .int(seed) }
        if let episodeID { arguments["episode_id"] = .string(episodeID) }
        let payload = try await active().reset(arguments)
        needsReset = false
        return try WireDecoding.stepResult(payload, as: Observation.self)
    }

    /// Sends one action. Throws ``OpenEnvError/resetRequired`` on a fresh session from
    /// ``reconnectToFreshSession(backoff:)`` that has not been reset yet.
    public func step(_ action: Action) async throws -> StepResult<Observation> {
        let session = try active()
        if needsReset { throw OpenEnvError.resetRequired }
        let payload = try await session.step(try WireDecoding.encode(action))
        return try WireDecoding.stepResult(payload, as: Observation.self)
    }

    /// The environment's current state.
    public func state() async throws -> State {
        try WireDecoding.decode(State.self, from: try await active().state())
    }

    /// The server's schemas (`GET /schema`).
    public func schema() async throws -> EnvironmentSchema {
        try await EnvironmentSchema.fetch(from: address, configuration: configuration)
    }

    /// Replaces the session with a new one on the same server, retrying with `backoff`
    /// (useful while a restarted server comes up). The old session is closed first, so
    /// its slot is free before the new one is requested.
    ///
    /// The new session starts empty: the environment, the episode and the step count of
    /// the old one are gone, and ``step(_:)`` throws ``OpenEnvError/resetRequired`` until
    /// ``reset(seed:episodeID:options:)``. Throws the last connection error when every
    /// attempt failed; the client then has no session (calls throw
    /// ``OpenEnvError/sessionLost(_:)`` with ``SessionLossReason/abandoned``) until a
    /// later reconnection succeeds. Calls made while it runs fail the same way.
    @discardableResult
    public func reconnectToFreshSession(backoff: Backoff = Backoff()) async throws -> FreshSession {
        switch link {
        case .closed: throw OpenEnvError.closed
        case .active(let old):
            link = .detached
            await old.close()
        case .detached: break
        }
        var lastError = OpenEnvError.sessionLost(.abandoned)
        for attempt in 1...backoff.maxAttempts {
            try await Task.sleep(for: backoff.delay(before: attempt))
            guard case .detached = link else { throw OpenEnvError.closed }
            do throws(OpenEnvError) {
                let fresh = try await connector()
                guard case .detached = link else {
                    await fresh.close()
                    throw OpenEnvError.closed
                }
                link = .active(fresh)
                generation += 1
                needsReset = true
                configuration.logger.info("connected to a fresh session", metadata: ["generation": "\(generation)", "attempts": "\(attempt)"])
                return FreshSession(attempts: attempt, generation: generation, sessionID: fresh.sessionID)
            } catch {
                lastError = error
                configuration.logger.debug("reconnection attempt failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
        }
        throw lastError
    }

    /// Ends the session (the server frees its slot) and stops the server if this client
    /// started it. Later calls throw ``OpenEnvError/closed``. Idempotent.
    public func close() async {
        let previous = link
        link = .closed
        if case .active(let session) = previous { await session.close() }
        if let server {
            self.server = nil
            await server.stop()
        }
    }

    private func active() throws(OpenEnvError) -> any SessionTransport {
        switch link {
        case .active(let session): session
        case .detached: throw .sessionLost(.abandoned)
        case .closed: throw .closed
        }
    }
}
