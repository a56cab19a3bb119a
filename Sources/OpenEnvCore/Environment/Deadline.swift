import Synchronization

/// Runs `operation`, throwing `onTimeout()` if it has not finished after `timeout`.
///
/// On timeout the operation's task is cancelled and the caller resumes at once, even if
/// the operation ignores cancellation (it then finishes in the background and its result
/// is dropped). Callers that own a resource the operation uses must not reuse it until
/// it has stopped; ``withDeadline(_:_:onTimeout:)`` cannot know when that is.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T,
    onTimeout: @escaping @Sendable () -> any Error
) async throws -> T {
    let gate = ResumeOnce<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            gate.install(continuation)
            let executor = PreferredExecutor.current
            let work = Task(executorPreference: executor) {
                do { gate.resume(with: .success(try await operation())) } catch { gate.resume(with: .failure(error)) }
            }
            let timer = Task(executorPreference: executor) {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled, gate.resume(with: .failure(onTimeout())) { work.cancel() }
            }
            gate.onResume { timer.cancel() }
            gate.onCancel { work.cancel() }
        }
    } onCancel: {
        gate.cancel()
    }
}

/// A continuation that is resumed exactly once, by whichever party gets there first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var done = false
        var cancelled = false
        var afterResume: [@Sendable () -> Void] = []
        var afterCancel: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Returns `true` when this call did the resuming.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let (continuation, hooks) = state.withLock { s -> (CheckedContinuation<T, any Error>?, [@Sendable () -> Void]) in
            guard !s.done, let c = s.continuation else { return (nil, []) }
            s.done = true
            s.continuation = nil
            return (c, s.afterResume)
        }
        guard let continuation else { return false }
        continuation.resume(with: result)
        for hook in hooks { hook() }
        return true
    }

    func onResume(_ hook: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.done { return true }
            s.afterResume.append(hook)
            return false
        }
        if runNow { hook() }
    }

    func onCancel(_ hook: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.cancelled { return true }
            s.afterCancel.append(hook)
            return false
        }
        if runNow { hook() }
    }

    func cancel() {
        let hooks = state.withLock { s -> [@Sendable () -> Void] in
            s.cancelled = true
            return s.afterCancel
        }
        for hook in hooks { hook() }
        resume(with: .failure(CancellationError()))
    }
}
