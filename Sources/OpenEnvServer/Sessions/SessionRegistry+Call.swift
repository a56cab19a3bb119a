import OpenEnvCore
import Tracing

/// Which environment a transport's call is for.
enum CallTarget: Sendable {
    /// The session bound to the calling socket (its owner, or a socket attached to it).
    case bound(Session)
    /// An HTTP-created session named by the request, made with the given token. A session
    /// owned by a WebSocket is refused (``SessionError/ownedByAnotherSocket(_:)``), and so is
    /// one opened with another token (``SessionRegistry/lookup(_:as:)``).
    case addressed(String, AccessPrincipal?)
    /// A fresh environment used for this one call and closed after it.
    case temporary

    /// The id of the session the call is for, when known before the call.
    var sessionID: String? {
        switch self {
        case .bound(let session): session.id
        case .addressed(let id, _): id
        case .temporary: nil
        }
    }
}

/// Environment `index` of a ``SessionRegistry/callAll(_:countsAsActivity:operation:_:)``
/// failed with `error`: what its body throws so the caller can tell which, with what the
/// caller needs to remember of the environments before it (they moved). The metrics count
/// the call by `error`.
struct EnvironmentCallFailure: Error {
    let index: Int
    let error: any Error
    var progress: (any Sendable)? = nil
}

extension SessionRegistry {
    /// The one way every transport (`/ws`, WebSocket `/mcp`, `/harness`, HTTP simulation
    /// routes, JSON-RPC, `/mcp/streamable`, the Task API) calls an environment.
    ///
    /// Finds the target (``CallTarget``), checks who may use it, runs `body` through the
    /// session's queue, on the environment's executor, under the step deadline, and cleans
    /// up after it:
    /// - a temporary environment is closed before this returns (after the call, never
    ///   during it; when the deadline passed, once the stranded call returns);
    /// - when the deadline passes, the session is destroyed before this throws: calls
    ///   queued behind the late one are refused, the environment closes once the late call
    ///   returns, and every socket bound to the session gets the error frame, then a close.
    ///   Transports then only map the error to their wire shape (a socket bound to the
    ///   session has already been told).
    ///
    /// - Throws: ``SessionError`` for lookup, ownership, capacity of the factory, a closed
    ///   session or a passed deadline; otherwise whatever `body` throws.
    ///
    /// With `operation` and ``ServerConfiguration/metrics``, the call is counted by outcome
    /// and its duration (queueing behind earlier calls of the session included) recorded;
    /// with `operation` and ``ServerConfiguration/tracing``, it gets a span (``ServerTracing``),
    /// a child of the task's current trace context, and `body` runs with the span's context
    /// current (an environment's own spans nest under it).
    nonisolated func call<T: Sendable>(
        _ target: CallTarget, countsAsActivity: Bool = true, operation: CallOperation? = nil,
        _ body: @escaping @Sendable (AnyEnvironment) async throws -> T
    ) async throws -> T {
        if case .bound(let session) = target, tracing == nil, stepTimeout == nil {
            // A socket's call without a span or a deadline (every `/ws` step by default): what
            // the general path does, minus its async frames, which a light step feels.
            guard let operation, let callMetrics else { return try await session.run(countsAsActivity: countsAsActivity, body) }
            let start = ContinuousClock.now
            do {
                let result = try await session.run(countsAsActivity: countsAsActivity, body)
                callMetrics.record(operation, .ok, duration: .now - start)
                return result
            } catch {
                callMetrics.record(operation, Self.outcome(of: error), duration: .now - start)
                throw error
            }
        }
        return try await instrumented(operation, sessionID: target.sessionID, count: 1) {
            try await perform(target, countsAsActivity: countsAsActivity, body)
        }
    }

    /// ``call(_:countsAsActivity:operation:_:)`` for a socket's own session, run at once on
    /// the caller's thread, when it needs nothing that suspends: no span, no deadline, and
    /// the session can take it now (``Session/runNow(countsAsActivity:_:)``). `nil`, with
    /// nothing run and nothing counted, when it cannot or when `body` declines (answers
    /// `nil`); the caller then takes ``call(_:countsAsActivity:operation:_:)``.
    ///
    /// - Throws: whatever `body` throws (counted as ``call(_:countsAsActivity:operation:_:)``
    ///   counts it); never a ``SessionError``.
    nonisolated func callNow<T>(_ session: Session, operation: CallOperation, _ body: (AnyEnvironment) throws -> T?) throws -> T? {
        guard tracing == nil else { return nil }
        let start = callMetrics == nil ? nil : ContinuousClock.now
        do {
            guard let result = try session.runNow(body) ?? nil else { return nil }
            if let start { callMetrics?.record(operation, .ok, duration: .now - start) }
            return result
        } catch {
            if let start { callMetrics?.record(operation, Self.outcome(of: error), duration: .now - start) }
            throw error
        }
    }

    /// One call into all the environments of a vector session (``Session/runAll(countsAsActivity:_:)``):
    /// one turn of its queue and one step deadline for the whole message, cleaned up as
    /// ``call(_:countsAsActivity:operation:_:)`` does. The metrics count it as one call per
    /// environment and record its duration once.
    nonisolated func callAll<T: Sendable>(
        _ session: Session, countsAsActivity: Bool = true, operation: CallOperation? = nil,
        _ body: @escaping @Sendable ([AnyEnvironment]) async throws -> T
    ) async throws -> T {
        try await instrumented(operation, sessionID: session.id, count: session.environmentCount) {
            try await destroyingOnDeadline(session) { try await session.runAll(countsAsActivity: countsAsActivity, body) }
        }
    }

    /// `work`, counted, timed and traced as `operation` (nothing when `nil`).
    private nonisolated func instrumented<T: Sendable>(
        _ operation: CallOperation?, sessionID: String?, count: Int, _ work: () async throws -> T
    ) async throws -> T {
        guard let operation, callMetrics != nil || tracing != nil else { return try await work() }
        let span = tracing?.startSpan(operation, environment: factory.info.envName)
        if let span, let sessionID { span.attributes["openenv.session.id"] = sessionID }
        let start = ContinuousClock.now
        do {
            let result: T
            if let span {
                result = try await ServiceContext.withValue(span.context) { try await work() }
            } else {
                result = try await work()
            }
            callMetrics?.record(operation, .ok, duration: .now - start, count: count)
            if let span {
                span.attributes["openenv.outcome"] = CallOutcome.ok.rawValue
                span.end()
            }
            return result
        } catch {
            let outcome = Self.outcome(of: error)
            callMetrics?.record(operation, outcome, duration: .now - start, count: count)
            if let span {
                span.attributes["openenv.outcome"] = outcome.rawValue
                span.setStatus(SpanStatus(code: .error, message: "\(error)"))
                span.end()
            }
            throw error
        }
    }

    /// How a call that threw `error` is counted.
    private static func outcome(of error: any Error) -> CallOutcome {
        switch (error as? EnvironmentCallFailure)?.error ?? error {
        case is ValidationFailure: .invalid
        case let failure as SessionError:
            if case .deadlineExceeded = failure { .deadline } else { .refused }
        default: .error
        }
    }

    /// `work` on `session`; when it passes the step deadline, the session is destroyed
    /// before the error is rethrown.
    private nonisolated func destroyingOnDeadline<T: Sendable>(_ session: Session, _ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as SessionError {
            if case .deadlineExceeded = error { await destroy(session.id, reason: error, cause: .deadline) }
            throw error
        }
    }

    private nonisolated func perform<T: Sendable>(
        _ target: CallTarget, countsAsActivity: Bool, _ body: @escaping @Sendable (AnyEnvironment) async throws -> T
    ) async throws -> T {
        let session: Session
        switch target {
        case .bound(let bound):
            session = bound
        case .addressed(let id, let principal):
            session = try await lookup(id, as: principal)
            if case .webSocket = session.owner { throw SessionError.ownedByAnotherSocket(id) }
        case .temporary where stepTimeout == nil:
            // Nothing to bound and nobody else can reach it: no session needed.
            let environment = try await makeEnvironment()
            do {
                let result = try await runOnExecutor(executor) { try await body(environment) }
                await environment.close()
                return result
            } catch {
                await environment.close()
                throw error
            }
        case .temporary:
            let temporary = try await temporarySession()
            do {
                let result = try await temporary.run(countsAsActivity: countsAsActivity, body)
                await temporary.shutdown(reason: nil)
                return result
            } catch {
                await temporary.shutdown(reason: nil)
                throw error
            }
        }
        return try await destroyingOnDeadline(session) { try await session.run(countsAsActivity: countsAsActivity, body) }
    }
}
