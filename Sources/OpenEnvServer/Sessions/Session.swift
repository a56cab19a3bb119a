import OpenEnvCore
import Synchronization

/// Identifies one WebSocket connection, for ownership and attachment.
struct ConnectionID: Hashable, Sendable {
    let value: UInt64
    private static let counter = Atomic<UInt64>(0)
    static func next() -> ConnectionID { ConnectionID(value: counter.add(1, ordering: .relaxed).newValue) }
}

/// Tells a socket bound to a session that the session ended, with the error to send
/// before closing (or `nil` for a plain close).
typealias SessionEndHandler = @Sendable (SessionError?) async -> Void

/// One environment instance and its bookkeeping; or, for a batched-stepping connection
/// (``VectorSessionEndpoint``), N instances that are called together, one call per message.
///
/// A session owns its environment exclusively: every call (from `/ws`, an attached
/// socket, HTTP routes or JSON-RPC) goes through ``run(countsAsActivity:_:)`` — transports
/// reach it through ``SessionRegistry/call(_:countsAsActivity:_:)`` — which admits one call
/// at a time, in arrival order. The environment is closed exactly once, by
/// ``shutdown(reason:)``, after the call in progress (if any) has returned.
///
/// Calls run on `executor` (the server's step pool) when one is given, else on the caller's
/// executor (the connection's event loop); see ``ExecutionPolicy``.
actor Session {
    /// Who created the session; only the owner may end it.
    enum Owner: Sendable, Equatable {
        case webSocket(ConnectionID)
        case http
    }

    nonisolated let id: String
    nonisolated let owner: Owner
    /// The name of the token the session was created with (counted against its limit).
    nonisolated let principal: String?
    private let environment: AnyEnvironment
    /// The other instances of a vector session (empty for every other session).
    private let otherEnvironments: [AnyEnvironment]
    /// How many environments the session holds, each counted as one session slot.
    nonisolated let environmentCount: Int
    private let stepTimeout: Duration?
    /// Where calls run; `nil`: on the caller's executor.
    private let executor: (any TaskExecutor)?

    /// The socket attached with `/ws?session_id=`, if any.
    private(set) var attached: ConnectionID?
    /// An `openenv/session/close` arrived while a socket was attached.
    private(set) var closeRequested = false
    private(set) var lastActivity = ContinuousClock.now
    private(set) var isClosed = false
    /// A call passed the deadline: no later call is admitted, even before the session is
    /// destroyed.
    private var expired = false

    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// A call that outlived the step deadline and may still be running.
    private var strandedCall: Task<Void, Never>?
    private var endHandlers: [ConnectionID: SessionEndHandler] = [:]

    /// A session of `environments` (at least one; more only for a vector session).
    init(id: String, owner: Owner, environments: [AnyEnvironment], stepTimeout: Duration?, executor: (any TaskExecutor)?, principal: String? = nil) {
        precondition(!environments.isEmpty, "a session holds at least one environment")
        self.principal = principal
        self.id = id
        self.owner = owner
        self.environment = environments[0]
        otherEnvironments = Array(environments.dropFirst())
        environmentCount = environments.count
        self.stepTimeout = stepTimeout
        self.executor = executor
    }

    /// Runs `body` against the environment, after every call that arrived before it.
    ///
    /// - Throws: ``SessionError/closed(_:)`` once the session is closed or a call passed
    ///   the deadline; ``SessionError/deadlineExceeded(seconds:)`` when the step deadline
    ///   passes (the session then admits no other call, and the caller must destroy it:
    ///   ``SessionRegistry/call(_:countsAsActivity:_:)`` does); otherwise whatever `body`
    ///   throws.
    func run<T: Sendable>(
        countsAsActivity: Bool = true, _ body: @escaping @Sendable (AnyEnvironment) async throws -> T
    ) async throws -> T {
        try await admit(environment, countsAsActivity: countsAsActivity, body)
    }

    /// Runs `body` against all the session's environments at once (a vector session's
    /// message), in one turn of the queue and under one step deadline; otherwise as
    /// ``run(countsAsActivity:_:)``.
    func runAll<T: Sendable>(
        countsAsActivity: Bool = true, _ body: @escaping @Sendable ([AnyEnvironment]) async throws -> T
    ) async throws -> T {
        try await admit([environment] + otherEnvironments, countsAsActivity: countsAsActivity, body)
    }

    private func admit<Subject: Sendable, T: Sendable>(
        _ subject: Subject, countsAsActivity: Bool, _ body: @escaping @Sendable (Subject) async throws -> T
    ) async throws -> T {
        guard !isClosed, !expired else { throw SessionError.closed(id) }
        await acquire()
        defer { release() }
        guard !isClosed, !expired else { throw SessionError.closed(id) }
        if countsAsActivity { lastActivity = .now }
        guard let stepTimeout else {
            return try await withTaskExecutorPreference(executor) { try await body(subject) }  // nil: stay
        }
        let work = Task(executorPreference: executor ?? PreferredExecutor.current) { try await body(subject) }
        do {
            return try await withDeadline(stepTimeout, { try await work.value }) {
                SessionError.deadlineExceeded(seconds: Self.seconds(stepTimeout))
            }
        } catch let error as SessionError {
            if case .deadlineExceeded = error {
                expired = true
                work.cancel()
                strandedCall = Task { _ = try? await work.value }
            }
            throw error
        }
    }

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(Double(s) + Double(atto) / 1e18)
    }

    func touch() { lastActivity = .now }

    /// Binds `connection` as this session's attached socket.
    func attach(_ connection: ConnectionID, endHandler: @escaping SessionEndHandler) throws(SessionError) {
        guard !isClosed else { throw .unknownSession(id) }
        if case .webSocket = owner { throw .ownedByAnotherSocket(id) }
        guard attached == nil else { throw .alreadyAttached(id) }
        attached = connection
        endHandlers[connection] = endHandler
        lastActivity = .now
    }

    /// Unbinds `connection`; returns `true` when a close was requested meanwhile, so the
    /// session must now be destroyed.
    func detach(_ connection: ConnectionID) -> Bool {
        guard attached == connection else { return false }
        attached = nil
        endHandlers[connection] = nil
        lastActivity = .now
        return closeRequested
    }

    /// Registers the owning socket so that ending the session closes it.
    func bindOwnerSocket(_ connection: ConnectionID, endHandler: @escaping SessionEndHandler) {
        endHandlers[connection] = endHandler
    }

    func requestClose() { closeRequested = true }

    /// Ends the session: no call is admitted any more, the environment is closed once
    /// (after the call in progress, and after a call stranded by the deadline), and every
    /// socket bound to the session is told to close, with `reason` first when given.
    func shutdown(reason: SessionError?) async {
        guard !isClosed else { return }
        isClosed = true
        let endHandlers = self.endHandlers
        self.endHandlers = [:]
        for endHandler in endHandlers.values { await endHandler(reason) }
        await acquire()
        for waiter in waiters { waiter.resume() }
        waiters = []
        let environments = [environment] + otherEnvironments
        if let strandedCall {
            // Close only once the timed-out call has returned, never concurrently with it.
            Task {
                await strandedCall.value
                for environment in environments { await environment.close() }
            }
        } else {
            for environment in environments { await environment.close() }
        }
    }
}
