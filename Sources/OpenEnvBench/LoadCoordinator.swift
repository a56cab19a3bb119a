import NIOCore
import Synchronization

/// What one connection of a run reports when it is done.
struct ConnectionOutcome: Sendable {
    var latencies: [UInt64] = []
    var errors = 0
    var errorSample: String?
    var refused = false
}

/// A connection's outcome on its way to the coordinator: the error bookkeeping and the single
/// report shared by the HTTP and the WebSocket load handler. Used on the connection's event loop.
struct OutcomeRecorder {
    var outcome = ConnectionOutcome()
    private var reported = false
    private let coordinator: LoadCoordinator

    init(coordinator: LoadCoordinator, steps: Int) {
        self.coordinator = coordinator
        outcome.latencies.reserveCapacity(steps)
    }

    /// Counts one error; the first error's text is kept as the run's sample.
    mutating func recordError(_ sample: @autoclosure () -> String?) {
        outcome.errors += 1
        if outcome.errorSample == nil { outcome.errorSample = sample() }
    }

    /// Hands the outcome to the coordinator once; later calls do nothing.
    mutating func report() {
        guard !reported else { return }
        reported = true
        coordinator.finished(outcome)
    }

    /// The channel went inactive. A connection that had not finished its run lost it: one error.
    mutating func channelClosed(finished: Bool) {
        if !finished, !reported { recordError("connection closed by the server") }
        report()
    }

    /// An error reached the end of the pipeline; it counts unless the outcome is already reported.
    mutating func caught(_ error: any Error) {
        if !reported { recordError("\(error)") }
    }
}

/// Gathers the connections of one run: waits until all are ready, starts them together,
/// and collects their outcomes. Connections call in from their event loops.
final class LoadCoordinator: Sendable {
    private struct State {
        var expected: Int
        var ready = 0
        var starters: [@Sendable () -> Void] = []
        var readyWaiter: CheckedContinuation<Void, Never>?
        var finished = 0
        var outcome = ConnectionOutcome()
        var refused = 0
        var doneWaiter: CheckedContinuation<Void, Never>?
        var completed = 0
        var progressSteps = 0
    }

    private let state: Mutex<State>

    init(connections: Int) { state = Mutex(State(expected: connections)) }

    /// A connection finished its setup (reset and warm-up); `start` begins its measured phase.
    func ready(start: @escaping @Sendable () -> Void) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.ready += 1
            s.starters.append(start)
            return s.ready + s.finished >= s.expected ? s.readyWaiter.take() : nil
        }
        waiter?.resume()
    }

    /// Waits until every connection is ready (or finished early, e.g. refused).
    func waitUntilReady() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { s -> Bool in
                if s.ready + s.finished >= s.expected { return true }
                s.readyWaiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Starts the measured phase on every ready connection.
    func startAll() {
        for start in state.withLock({ $0.starters }) { start() }
    }

    /// One measured step completed somewhere (for progress display).
    func stepDone() { state.withLock { $0.progressSteps += 1 } }
    var stepsDone: Int { state.withLock { $0.progressSteps } }
    var readyCount: Int { state.withLock { $0.ready } }

    /// A connection is done; `outcome` is merged into the run's.
    func finished(_ outcome: ConnectionOutcome) {
        let (readyWaiter, doneWaiter) = state.withLock { s -> (CheckedContinuation<Void, Never>?, CheckedContinuation<Void, Never>?) in
            s.finished += 1
            s.outcome.latencies.append(contentsOf: outcome.latencies)
            s.outcome.errors += outcome.errors
            if s.outcome.errorSample == nil { s.outcome.errorSample = outcome.errorSample }
            if outcome.refused { s.refused += 1 }
            let ready = s.ready + s.finished >= s.expected ? s.readyWaiter.take() : nil
            let done = s.finished >= s.expected ? s.doneWaiter.take() : nil
            return (ready, done)
        }
        readyWaiter?.resume()
        doneWaiter?.resume()
    }

    /// Waits until every connection reported, then returns the merged outcome and the
    /// number of refused connections.
    func waitUntilFinished() async -> (ConnectionOutcome, refused: Int) {
        await withCheckedContinuation { continuation in
            let now = state.withLock { s -> Bool in
                if s.finished >= s.expected { return true }
                s.doneWaiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
        return state.withLock { ($0.outcome, $0.refused) }
    }
}

extension Optional {
    /// Returns the value and leaves `nil` behind.
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
