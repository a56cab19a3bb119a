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
///
/// A class with its state behind a lock, not an actor: every method runs on its caller's
/// executor. An actor's methods would each be a trip through the caller's event-loop queue
/// and another back (under a task executor preference the runtime never switches into an
/// actor inline), two extra queue turns per step measured with a uprobe on
/// `swift_defaultActor_enqueue` (docs/benchmarks.md). The lock is held only to read or
/// change the state, never across a suspension.
final class Session: Sendable {
    /// Who created the session; only the owner may end it.
    enum Owner: Sendable, Equatable {
        case webSocket(ConnectionID)
        case http
    }

    let id: String
    let owner: Owner
    /// The name of the token the session was created with (counted against its limit).
    let principal: String?
    /// The instance, first; then a vector session's others.
    private let environments: [AnyEnvironment]
    /// How many environments the session holds, each counted as one session slot.
    let environmentCount: Int
    private let stepTimeout: Duration?
    /// Where calls run; `nil`: on the caller's executor.
    private let executor: (any TaskExecutor)?
    private let state = Mutex(State())
    /// Calls run on the caller's executor with no deadline: ``runNow(countsAsActivity:_:)``
    /// may run them in place.
    private let runsInPlace: Bool
    /// Whether a step can be answered without suspending: calls run in place and the session
    /// holds one ``SynchronousEnvironment`` (its ``FastStep/stepNow``). Checked first, so
    /// that other sessions' steps pay nothing for it.
    let stepsNow: Bool

    private struct State {
        var attached: ConnectionID?
        var closeRequested = false
        var lastActivity = ContinuousClock.now
        var isClosed = false
        /// A call passed the deadline: no later call is admitted, even before the session
        /// is destroyed.
        var expired = false
        /// A call (or the shutdown) holds the environment; the others wait in `waiters`,
        /// in arrival order.
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// A call that outlived the step deadline and may still be running.
        var strandedCall: Task<Void, Never>?
        var endHandlers: [ConnectionID: SessionEndHandler] = [:]

        var admitsCalls: Bool { !isClosed && !expired }
    }

    /// A session of `environments` (at least one; more only for a vector session).
    init(id: String, owner: Owner, environments: [AnyEnvironment], stepTimeout: Duration?, executor: (any TaskExecutor)?, principal: String? = nil) {
        precondition(!environments.isEmpty, "a session holds at least one environment")
        self.principal = principal
        self.id = id
        self.owner = owner
        self.environments = environments
        environmentCount = environments.count
        self.stepTimeout = stepTimeout
        self.executor = executor
        runsInPlace = executor == nil && stepTimeout == nil
        stepsNow = runsInPlace && environments.count == 1 && environments[0].fastStep?.stepNow != nil
    }

    /// The socket attached with `/ws?session_id=`, if any.
    var attached: ConnectionID? { state.withLock { $0.attached } }
    var lastActivity: ContinuousClock.Instant { state.withLock { $0.lastActivity } }

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
        try await admit(environments[0], countsAsActivity: countsAsActivity, body)
    }

    /// Runs `body` against the environment at once, without suspending, when that is what
    /// ``run(countsAsActivity:_:)`` would do: the environment is free, the session admits
    /// calls, calls run on the caller's executor and there is no step deadline. `nil`, with
    /// nothing run, otherwise: the caller then takes ``run(countsAsActivity:_:)``, which
    /// queues the call or refuses it.
    func runNow<T>(countsAsActivity: Bool = true, _ body: (AnyEnvironment) throws -> T) rethrows -> T? {
        guard runsInPlace else { return nil }
        let admitted = state.withLock { state in
            guard state.admitsCalls, !state.busy else { return false }
            state.busy = true
            if countsAsActivity { state.lastActivity = .now }
            return true
        }
        guard admitted else { return nil }
        defer { release() }
        return try body(environments[0])
    }

    /// Runs `body` against all the session's environments at once (a vector session's
    /// message), in one turn of the queue and under one step deadline; otherwise as
    /// ``run(countsAsActivity:_:)``.
    func runAll<T: Sendable>(
        countsAsActivity: Bool = true, _ body: @escaping @Sendable ([AnyEnvironment]) async throws -> T
    ) async throws -> T {
        try await admit(environments, countsAsActivity: countsAsActivity, body)
    }

    private func admit<Subject: Sendable, T: Sendable>(
        _ subject: Subject, countsAsActivity: Bool, _ body: @escaping @Sendable (Subject) async throws -> T
    ) async throws -> T {
        try await enter(countsAsActivity: countsAsActivity)
        defer { release() }
        guard let stepTimeout else { return try await runOnExecutor(executor) { try await body(subject) } }
        let work = Task(executorPreference: executor ?? PreferredExecutor.current) { try await body(subject) }
        do {
            return try await withDeadline(stepTimeout, { try await work.value }) {
                SessionError.deadlineExceeded(seconds: Self.seconds(stepTimeout))
            }
        } catch let error as SessionError {
            if case .deadlineExceeded = error {
                work.cancel()
                let stranded = Task { _ = try? await work.value }
                state.withLock {
                    $0.expired = true
                    $0.strandedCall = stranded
                }
            }
            throw error
        }
    }

    /// Takes the environment for one call: at once when it is free, else after the calls
    /// queued before this one.
    /// - Throws: ``SessionError/closed(_:)`` when the session admits no call, checked on
    ///   arrival and again once the turn comes (without holding the environment).
    private func enter(countsAsActivity: Bool) async throws(SessionError) {
        enum Arrival { case admitted, refused, queued }
        let arrival = state.withLock { state -> Arrival in
            guard state.admitsCalls else { return .refused }
            guard !state.busy else { return .queued }
            state.busy = true
            if countsAsActivity { state.lastActivity = .now }
            return .admitted
        }
        switch arrival {
        case .admitted:
            return
        case .refused:
            throw .closed(id)
        case .queued:
            await acquire()
            let admitted = state.withLock { state in
                if state.admitsCalls, countsAsActivity { state.lastActivity = .now }
                return state.admitsCalls
            }
            guard admitted else {
                release()
                throw .closed(id)
            }
        }
    }

    /// Waits for the environment to be free and takes it.
    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = state.withLock { state in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands the environment to the next waiter, or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(Double(s) + Double(atto) / 1e18)
    }

    func touch() { state.withLock { $0.lastActivity = .now } }

    /// Binds `connection` as this session's attached socket.
    func attach(_ connection: ConnectionID, endHandler: @escaping SessionEndHandler) throws(SessionError) {
        try state.withLock { (state) throws(SessionError) in
            guard !state.isClosed else { throw .unknownSession(id) }
            if case .webSocket = owner { throw .ownedByAnotherSocket(id) }
            guard state.attached == nil else { throw .alreadyAttached(id) }
            state.attached = connection
            state.endHandlers[connection] = endHandler
            state.lastActivity = .now
        }
    }

    /// Unbinds `connection`; returns `true` when a close was requested meanwhile, so the
    /// session must now be destroyed.
    func detach(_ connection: ConnectionID) -> Bool {
        state.withLock { state in
            guard state.attached == connection else { return false }
            state.attached = nil
            state.endHandlers[connection] = nil
            state.lastActivity = .now
            return state.closeRequested
        }
    }

    /// Registers the owning socket so that ending the session closes it.
    func bindOwnerSocket(_ connection: ConnectionID, endHandler: @escaping SessionEndHandler) {
        state.withLock { $0.endHandlers[connection] = endHandler }
    }

    /// Asks the attached socket's session to end when that socket detaches; returns
    /// `false` (and asks nothing) when no socket is attached, so the caller may end it now.
    func requestCloseIfAttached() -> Bool {
        state.withLock { state in
            guard state.attached != nil else { return false }
            state.closeRequested = true
            return true
        }
    }

    /// Ends the session: no call is admitted any more, the environment is closed once
    /// (after the call in progress, and after a call stranded by the deadline), and every
    /// socket bound to the session is told to close, with `reason` first when given.
    func shutdown(reason: SessionError?) async {
        let endHandlers = state.withLock { state -> [SessionEndHandler]? in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            defer { state.endHandlers = [:] }
            return Array(state.endHandlers.values)
        }
        guard let endHandlers else { return }
        for endHandler in endHandlers { await endHandler(reason) }
        // Calls queued before the close get their turn and are refused; later ones are
        // refused on arrival. The gate is never released: the session is over.
        await acquire()
        let strandedCall = state.withLock { $0.strandedCall }
        let environments = self.environments
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
