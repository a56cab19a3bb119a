import OpenEnvCore

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
    /// and its duration (queueing behind earlier calls of the session included) recorded.
    nonisolated func call<T: Sendable>(
        _ target: CallTarget, countsAsActivity: Bool = true, operation: CallOperation? = nil,
        _ body: @escaping @Sendable (AnyEnvironment) async throws -> T
    ) async throws -> T {
        guard let operation, let callMetrics else { return try await perform(target, countsAsActivity: countsAsActivity, body) }
        let start = ContinuousClock.now
        do {
            let result = try await perform(target, countsAsActivity: countsAsActivity, body)
            callMetrics.record(operation, .ok, duration: .now - start)
            return result
        } catch {
            let outcome: CallOutcome
            switch error {
            case is ValidationFailure: outcome = .invalid
            case let failure as SessionError:
                if case .deadlineExceeded = failure { outcome = .deadline } else { outcome = .refused }
            default: outcome = .error
            }
            callMetrics.record(operation, outcome, duration: .now - start)
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
                let result = try await withTaskExecutorPreference(executor) { try await body(environment) }
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
        do {
            return try await session.run(countsAsActivity: countsAsActivity, body)
        } catch let error as SessionError {
            if case .deadlineExceeded = error { await destroy(session.id, reason: error, cause: .deadline) }
            throw error
        }
    }
}
