import OpenEnvCore
import Synchronization

/// Identifies one WebSocket connection, for ownership and attachment.
public struct ConnectionID: Hashable, Sendable {
    let value: UInt64
    private static let counter = Atomic<UInt64>(0)
    public static func next() -> ConnectionID { ConnectionID(value: counter.add(1, ordering: .relaxed).newValue) }
}

/// Tells a socket bound to a session that the session ended, with the error to send
/// before closing (or `nil` for a plain close).
typealias SocketKicker = @Sendable (SessionError?) async -> Void

/// One environment instance and its bookkeeping.
///
/// A session owns its environment exclusively: every call (from `/ws`, an attached
/// socket, HTTP routes or JSON-RPC) goes through ``run(countsAsActivity:_:)``, which
/// admits one call at a time, in arrival order (a ``CallGate``). The environment is closed
/// exactly once, by ``shutdown(reason:)``, after the call in progress (if any) has returned.
///
/// ``run(countsAsActivity:_:)`` is nonisolated and runs on its caller's executor: a caller
/// isolated to ``isolation`` (the environment's actor) reaches the environment without an
/// executor switch. Attachment and shutdown are isolated to the session actor.
public actor Session {
    /// Who created the session; only the owner may end it.
    public enum Owner: Sendable, Equatable {
        case webSocket(ConnectionID)
        case http
    }

    public nonisolated let id: String
    public nonisolated let owner: Owner
    private nonisolated let environment: AnyEnvironment
    private nonisolated let stepTimeout: Duration?
    private nonisolated let calls = CallGate()
    private nonisolated let lastActivityClock = Mutex(ContinuousClock.now)
    /// A call that outlived the step deadline and may still be running.
    private nonisolated let strandedCall = Mutex<Task<Void, Never>?>(nil)

    /// The socket attached with `/ws?session_id=`, if any.
    public private(set) var attached: ConnectionID?
    /// An `openenv/session/close` arrived while a socket was attached.
    public private(set) var closeRequested = false
    private var kickers: [ConnectionID: SocketKicker] = [:]

    init(id: String, owner: Owner, environment: AnyEnvironment, stepTimeout: Duration?) {
        self.id = id
        self.owner = owner
        self.environment = environment
        self.stepTimeout = stepTimeout
    }

    /// The actor the environment's calls run on. Code isolated to it calls the
    /// environment without switching executors.
    public nonisolated var isolation: any Actor { environment.isolation }

    /// The time of the last call counted as activity (or attach/detach).
    public nonisolated var lastActivity: ContinuousClock.Instant { lastActivityClock.withLock { $0 } }

    /// `true` once ``shutdown(reason:)`` started: no call is admitted any more.
    public nonisolated var isClosed: Bool { calls.isClosed }

    /// Runs `body` against the environment, after every call that arrived before it.
    ///
    /// - Throws: ``SessionError/closed(_:)`` once the session is closed;
    ///   ``SessionError/deadlineExceeded(seconds:)`` when the step deadline passes (the
    ///   caller must then destroy the session); otherwise whatever `body` throws.
    public nonisolated func run<T: Sendable>(
        countsAsActivity: Bool = true, _ body: @escaping @Sendable (AnyEnvironment) async throws -> T
    ) async throws -> T {
        guard await calls.enter() else { throw SessionError.closed(id) }
        defer { calls.leave() }
        if countsAsActivity { touch() }
        let environment = self.environment
        guard let stepTimeout else { return try await body(environment) }
        let work = Task { try await body(environment) }
        do {
            return try await withDeadline(stepTimeout, { try await work.value }) {
                SessionError.deadlineExceeded(seconds: Self.seconds(stepTimeout))
            }
        } catch let error as SessionError {
            if case .deadlineExceeded = error {
                work.cancel()
                strandedCall.withLock { $0 = Task { _ = try? await work.value } }
            }
            throw error
        }
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(Double(s) + Double(atto) / 1e18)
    }

    nonisolated func touch() { lastActivityClock.withLock { $0 = .now } }

    /// Binds `connection` as this session's attached socket.
    func attach(_ connection: ConnectionID, kicker: @escaping SocketKicker) throws(SessionError) {
        guard !isClosed else { throw .unknownSession(id) }
        if case .webSocket = owner { throw .ownedByAnotherSocket(id) }
        guard attached == nil else { throw .alreadyAttached(id) }
        attached = connection
        kickers[connection] = kicker
        touch()
    }

    /// Unbinds `connection`; returns `true` when a close was requested meanwhile, so the
    /// session must now be destroyed.
    func detach(_ connection: ConnectionID) -> Bool {
        guard attached == connection else { return false }
        attached = nil
        kickers[connection] = nil
        touch()
        return closeRequested
    }

    /// Registers the owning socket so that ending the session closes it.
    func bindOwnerSocket(_ connection: ConnectionID, kicker: @escaping SocketKicker) {
        kickers[connection] = kicker
    }

    func requestClose() { closeRequested = true }

    /// Ends the session: no call is admitted any more, the environment is closed once
    /// (after the call in progress, and after a call stranded by the deadline), and every
    /// socket bound to the session is told to close, with `reason` first when given.
    func shutdown(reason: SessionError?) async {
        guard calls.close() else { return }
        let kickers = self.kickers
        self.kickers = [:]
        for kicker in kickers.values { await kicker(reason) }
        await calls.waitUntilIdle()
        let environment = self.environment
        if let strandedCall = strandedCall.withLock({ $0 }) {
            // Close only once the timed-out call has returned, never concurrently with it.
            Task { await strandedCall.value; await environment.close() }
        } else {
            await environment.close()
        }
    }
}
