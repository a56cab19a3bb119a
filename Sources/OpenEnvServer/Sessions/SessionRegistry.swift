import Logging
import OpenEnvCore

/// Every live session of one server, the capacity limit, and the idle reaper.
///
/// Session ids are UUID4 strings. Capacity counts live sessions plus those whose
/// environment is still being built; an attached socket uses no slot of its own. A session
/// created with a token (``AccessPrincipal``) also counts against that token's own limit.
///
/// Transports call environments only through ``call(_:countsAsActivity:_:)``.
actor SessionRegistry {
    nonisolated let maxSessions: Int
    nonisolated let factory: EnvironmentFactory
    private let configuration: ServerConfiguration
    private let logger: Logger
    /// Where environments are built and called: the step pool for
    /// ``ExecutionPolicy/threadPool`` environments, `nil` (the caller's event loop) otherwise.
    nonisolated let executor: (any TaskExecutor)?
    /// Where a vector message steps its chunks beyond the first (``VectorChunks``): the step
    /// pool and its thread count for ``ExecutionPolicy/threadPool`` environments; `nil` for
    /// the others, whose chunks run on the global concurrent pool.
    nonisolated let vectorStepPool: VectorChunks.StepPool?
    private var sessions: [String: Session] = [:]
    private var initializing: Set<String> = []
    private var reaper: Task<Void, Never>?
    /// Sessions removed from `sessions` whose shutdown has not finished yet, and who waits
    /// for them to finish (``drain()``).
    private var closing = 0
    private var closingWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var isDraining = false
    /// Live and initializing sessions per token name.
    private var perPrincipal: [String: Int] = [:]
    nonisolated let metrics: ServerMetrics?
    /// Counts and times resets, steps and tool calls (with ``ServerConfiguration/metrics``).
    nonisolated let callMetrics: CallMetrics?
    /// Spans of resets, steps and tool calls (``ServerConfiguration/tracing``).
    nonisolated let tracing: ServerTracing?

    /// - Parameter stepPool: the server's step thread pool, used when the factory's
    ///   environment asks for ``ExecutionPolicy/threadPool``.
    init(factory: EnvironmentFactory, configuration: ServerConfiguration, logger: Logger, stepPool: (any TaskExecutor)?) {
        self.factory = factory
        self.configuration = configuration
        self.logger = logger
        maxSessions = configuration.maxSessions ?? factory.info.defaultMaxSessions
        executor = factory.execution == .threadPool ? stepPool : nil
        if factory.execution == .threadPool, let stepPool {
            vectorStepPool = VectorChunks.StepPool(executor: stepPool, threads: configuration.stepThreads ?? StepThreadPool.defaultThreadCount)
        } else {
            vectorStepPool = nil
        }
        metrics = configuration.metrics
        callMetrics = configuration.metrics?.calls(environment: factory.info.envName)
        tracing = configuration.tracing
    }

    /// Session slots held by live sessions plus sessions being created (a vector session
    /// holds one per environment).
    var activeCount: Int { liveSlots + initializingSlots }
    private var liveSlots = 0
    private var initializingSlots = 0

    /// Creates a session owned by `owner`, on behalf of `principal` (the request's token),
    /// with `environments` instances (more than one only for a vector session, which holds
    /// a slot of the session limit and of the token's quota per environment; all or none).
    /// - Throws: ``SessionError/capacityReached(active:max:)`` when the slots are not free,
    ///   ``SessionError/quotaReached(token:active:max:)`` when the token would exceed its own
    ///   limit of sessions, ``SessionError/factoryFailed(factoryName:)`` when an environment
    ///   cannot be built.
    func create(owner: Session.Owner, principal: AccessPrincipal? = nil, environments count: Int = 1) async throws(SessionError) -> Session {
        guard !isDraining, activeCount + count <= maxSessions else {
            metrics?.sessionRefused(.capacity)
            throw .capacityReached(active: activeCount, max: maxSessions)
        }
        if let principal, let limit = principal.maxSessions {
            let held = perPrincipal[principal.name, default: 0]
            guard held + count <= limit else {
                metrics?.sessionRefused(.quota)
                logger.debug("token at its session limit", metadata: ["token": "\(principal.name)", "max_sessions": "\(limit)"])
                throw .quotaReached(token: principal.name, active: held, max: limit)
            }
        }
        let id = UUIDString.random()
        initializing.insert(id)
        initializingSlots += count
        if let principal { perPrincipal[principal.name, default: 0] += count }
        var environments: [AnyEnvironment] = []
        environments.reserveCapacity(count)
        do {
            for _ in 0..<count { environments.append(try await makeEnvironment()) }
        } catch {
            for environment in environments { await environment.close() }
            initializing.remove(id)
            initializingSlots -= count
            if let principal { release(principal.name, slots: count) }
            metrics?.sessionRefused(.factory)
            throw error
        }
        initializing.remove(id)
        initializingSlots -= count
        let session = Session(
            id: id, owner: owner, environments: environments, stepTimeout: configuration.stepTimeout, executor: executor, principal: principal?.name)
        sessions[id] = session
        liveSlots += count
        for _ in 0..<count { metrics?.sessionCreated() }
        logger.debug("session created", metadata: ["session_id": "\(id)", "token": "\(principal?.name ?? "-")", "environments": "\(count)"])
        return session
    }

    private func release(_ principal: String, slots: Int = 1) {
        let held = perPrincipal[principal, default: slots] - slots
        perPrincipal[principal] = held > 0 ? held : nil
    }

    /// The step deadline of every call (``ServerConfiguration/stepTimeout``).
    nonisolated var stepTimeout: Duration? { configuration.stepTimeout }

    /// A session for one call, outside the registry: no slot, no id a client can address
    /// (stateless HTTP routes and the Task API build one per request, as the reference does).
    nonisolated func temporarySession() async throws(SessionError) -> Session {
        Session(
            id: UUIDString.random(), owner: .http, environments: [try await makeEnvironment()],
            stepTimeout: configuration.stepTimeout, executor: executor)
    }

    /// Builds an environment where its calls will run.
    nonisolated func makeEnvironment() async throws(SessionError) -> AnyEnvironment {
        let factory = self.factory
        do {
            return try await runOnExecutor(executor) { try await factory.make() }  // nil: stay
        } catch {
            logger.error("environment factory failed", metadata: ["error": "\(error)"])
            throw .factoryFailed(factoryName: factory.info.name)
        }
    }

    /// The live session `id`, for a request made with `principal`'s token. With tokens
    /// configured, a session opened with another token is unknown to this one (the same
    /// error as a wrong id: nothing tells that it exists).
    /// - Throws: ``SessionError/unknownSession(_:)`` or ``SessionError/initializing(_:)``.
    func lookup(_ id: String, as principal: AccessPrincipal? = nil) throws(SessionError) -> Session {
        if let session = sessions[id] {
            if configuration.accessTokens != nil, session.principal != principal?.name { throw .unknownSession(id) }
            return session
        }
        if initializing.contains(id) { throw .initializing(id) }
        throw .unknownSession(id)
    }

    /// Removes the session and shuts it down; `reason` is sent to its sockets first. `cause`
    /// is the close reason counted in the metrics and logged.
    func destroy(_ id: String, reason: SessionError? = nil, cause: SessionCloseCause = .client) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        liveSlots -= session.environmentCount
        if let principal = session.principal { release(principal, slots: session.environmentCount) }
        for _ in 0..<session.environmentCount { metrics?.sessionClosed(cause) }
        logger.debug("session closed", metadata: ["session_id": "\(id)", "reason": "\(cause.rawValue)"])
        closing += 1
        await session.shutdown(reason: reason)
        closing -= 1
        if closing == 0 {
            for waiter in closingWaiters { waiter.resume() }
            closingWaiters = []
        }
    }

    /// Starts the idle reaper for HTTP-created sessions without an attached socket.
    func startReaper() {
        guard let timeout = configuration.sessionTimeout, reaper == nil else { return }
        let period = max(min(timeout / 4, .seconds(5)), .milliseconds(100))
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                await self?.reapIdle(olderThan: timeout)
            }
        }
    }

    private func reapIdle(olderThan timeout: Duration) async {
        let now = ContinuousClock.now
        for (id, session) in sessions where session.owner == .http {
            guard session.attached == nil else { continue }
            if now - session.lastActivity > timeout {
                logger.info("reaping idle session", metadata: ["session_id": "\(id)"])
                await destroy(id, cause: .reaped)
            }
        }
    }

    /// Refuses new sessions, stops the reaper and closes every session exactly once; also
    /// waits for closes already under way, so shutdown never exits in the middle of one.
    func drain() async {
        isDraining = true
        reaper?.cancel()
        reaper = nil
        for id in Array(sessions.keys) { await destroy(id, cause: .shutdown) }
        if closing > 0 { await withCheckedContinuation { closingWaiters.append($0) } }
    }

    /// Capacity figures for `/ready`.
    var capacityJSON: JSONObject {
        ["active_sessions": .int(activeCount), "max_sessions": .int(maxSessions)]
    }
}
