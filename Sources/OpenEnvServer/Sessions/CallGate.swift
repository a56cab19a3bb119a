import Synchronization

/// Admits the calls into one session's environment one at a time, in arrival order.
///
/// Usable from any executor without a hop: a caller that finds the gate free passes
/// synchronously (one uncontended lock); the others suspend in line and are resumed in
/// order by ``leave()``. Once ``close()`` was called the gate admits nobody: callers
/// waiting or to come are turned away, and ``waitUntilIdle()`` lets the closer wait for
/// the call in progress.
final class CallGate: Sendable {
    private struct State {
        var busy = false
        var closed = false
        var waiters: [CheckedContinuation<Bool, Never>] = []
        var idleWaiter: CheckedContinuation<Void, Never>?

        /// `true` or `false` when the caller can be answered at once, `nil` when it must wait.
        mutating func tryEnter() -> Bool? {
            if closed { return false }
            if busy { return nil }
            busy = true
            return true
        }
    }

    private let state = Mutex(State())

    /// Waits for the caller's turn. Returns `true` once admitted (the caller must then call
    /// ``leave()`` exactly once), `false` when the gate is or gets closed before that.
    func enter() async -> Bool {
        if let answer = state.withLock({ $0.tryEnter() }) { return answer }
        return await withCheckedContinuation { continuation in
            let answer = state.withLock { state -> Bool? in
                let answer = state.tryEnter()
                if answer == nil { state.waiters.append(continuation) }
                return answer
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Ends the admitted call and admits the next caller in line, if any.
    func leave() {
        let (next, idle) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, CheckedContinuation<Void, Never>?) in
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), nil) }  // stays busy
            state.busy = false
            defer { state.idleWaiter = nil }
            return (nil, state.idleWaiter)
        }
        next?.resume(returning: true)
        idle?.resume()
    }

    /// Closes the gate and turns away every waiting caller. Returns `false` when it was
    /// already closed.
    func close() -> Bool {
        let (closedNow, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Bool, Never>]) in
            guard !state.closed else { return (false, []) }
            state.closed = true
            defer { state.waiters = [] }
            return (true, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: false) }
        return closedNow
    }

    /// Returns once no call is in progress. Only for the one caller that closed the gate
    /// (after ``close()`` nobody else is admitted, so idle stays idle).
    func waitUntilIdle() async {
        if state.withLock({ !$0.busy }) { return }
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                if !state.busy { return true }
                state.idleWaiter = continuation
                return false
            }
            if idle { continuation.resume() }
        }
    }

    var isClosed: Bool { state.withLock { $0.closed } }
}
