import Logging
import OpenEnvCore

/// Every live session of one server, the capacity limit, and the idle reaper.
///
/// Session ids are UUID4 strings. Capacity counts live sessions plus those whose
/// environment is still being built; an attached socket uses no slot of its own.
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
    private var sessions: [String: Session] = [:]
    private var initializing: Set<String> = []
    private var reaper: Task<Void, Never>?
    /// Sessions removed from `sessions` whose shutdown has not finished yet, and who waits
    /// for them to finish (``drain()``).
    private var closing = 0
    private var closingWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var isDraining = false

    /// - Parameter stepPool: the server's step thread pool, used when the factory's
    ///   environment asks for ``ExecutionPolicy/threadPool``.
    init(factory: EnvironmentFactory, configuration: ServerConfiguration, logger: Logger, stepPool: (any TaskExecutor)?) {
        self.factory = factory
        self.configuration = configuration
        self.logger = logger
        maxSessions = configuration.maxSessions ?? factory.info.defaultMaxSessions
        executor = factory.execution == .threadPool ? stepPool : nil
    }

    /// Live sessions plus sessions being created.
    var activeCount: Int { sessions.count + initializing.count }

    /// Creates a session owned by `owner`.
    /// - Throws: ``SessionError/capacityReached(active:max:)`` when every slot is taken,
    ///   ``SessionError/factoryFailed(factoryName:)`` when the environment cannot be built.
    func create(owner: Session.Owner) async throws(SessionError) -> Session {
        guard !isDraining, activeCount < maxSessions else {
            throw .capacityReached(active: activeCount, max: maxSessions)
        }
        let id = UUIDString.random()
        initializing.insert(id)
        let environment: AnyEnvironment
        do {
            environment = try await makeEnvironment()
        } catch {
            initializing.remove(id)
            throw error
        }
        initializing.remove(id)
        let session = Session(id: id, owner: owner, environment: environment, stepTimeout: configuration.stepTimeout, executor: executor)
        sessions[id] = session
        return session
    }

    /// The step deadline of every call (``ServerConfiguration/stepTimeout``).
    nonisolated var stepTimeout: Duration? { configuration.stepTimeout }

    /// A session for one call, outside the registry: no slot, no id a client can address
    /// (stateless HTTP routes and the Task API build one per request, as the reference does).
    nonisolated func temporarySession() async throws(SessionError) -> Session {
        Session(
            id: UUIDString.random(), owner: .http, environment: try await makeEnvironment(),
            stepTimeout: configuration.stepTimeout, executor: executor)
    }

    /// Builds an environment where its calls will run.
    nonisolated func makeEnvironment() async throws(SessionError) -> AnyEnvironment {
        let factory = self.factory
        do {
            return try await withTaskExecutorPreference(executor) { try await factory.make() }  // nil: stay
        } catch {
            logger.error("environment factory failed", metadata: ["error": "\(error)"])
            throw .factoryFailed(factoryName: factory.info.name)
        }
    }

    /// The live session `id`.
    /// - Throws: ``SessionError/unknownSession(_:)`` or ``SessionError/initializing(_:)``.
    func lookup(_ id: String) throws(SessionError) -> Session {
        if let session = sessions[id] { return session }
        if initializing.contains(id) { throw .initializing(id) }
        throw .unknownSession(id)
    }

    /// Removes the session and shuts it down; `reason` is sent to its sockets first.
    func destroy(_ id: String, reason: SessionError? = nil) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
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
            guard await session.attached == nil else { continue }
            if now - (await session.lastActivity) > timeout {
                logger.info("reaping idle session", metadata: ["session_id": "\(id)"])
                await destroy(id)
            }
        }
    }

    /// Refuses new sessions, stops the reaper and closes every session exactly once; also
    /// waits for closes already under way, so shutdown never exits in the middle of one.
    func drain() async {
        isDraining = true
        reaper?.cancel()
        reaper = nil
        for id in Array(sessions.keys) { await destroy(id) }
        if closing > 0 { await withCheckedContinuation { closingWaiters.append($0) } }
    }

    /// Capacity figures for `/ready`.
    var capacityJSON: JSONObject {
        ["active_sessions": .int(activeCount), "max_sessions": .int(maxSessions)]
    }
}
