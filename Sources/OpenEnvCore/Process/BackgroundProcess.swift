import Synchronization

/// Starts a child process whose monitoring outlives the call that started it: the MCP
/// bridge's stdio servers and the client's local servers. The process itself is started by
/// the caller's `run` (swift-subprocess's `run`, with the caller's own input and output
/// plumbing); this type owns the hand-off between the two lifetimes.
public enum BackgroundProcess {
    /// Runs `run` in a new task and returns the process id as soon as the child runs.
    ///
    /// - `run` starts the process, calls `started` with its id once it runs (once; later
    ///   calls are ignored), then monitors it and returns how it ended (`exited(0)`,
    ///   `unhandledException(9)`, …).
    /// - If `run` throws before `started` was called, the process never ran: this function
    ///   throws that error and `ended` is not called.
    /// - Otherwise `ended` is called exactly once, after `run` returned (with its result) or
    ///   threw (with `monitoring failed: <error>`).
    public static func launch(
        _ run: @escaping @Sendable (_ started: @escaping @Sendable (Int32) -> Void) async throws -> String,
        ended: @escaping @Sendable (_ termination: String) async -> Void
    ) async throws -> Int32 {
        try await withCheckedThrowingContinuation { (launched: CheckedContinuation<Int32, any Error>) in
            let waiting = Handoff(launched)
            Task {
                do {
                    let termination = try await run { processID in waiting.take()?.resume(returning: processID) }
                    if let launched = waiting.take() {  // `run` broke its contract: never said it started
                        launched.resume(throwing: NeverStarted(termination: termination))
                        return
                    }
                    await ended(termination)
                } catch {
                    if let launched = waiting.take() {
                        launched.resume(throwing: error)
                    } else {
                        await ended("monitoring failed: \(error)")
                    }
                }
            }
        }
    }

    /// `run` returned without calling `started`.
    public struct NeverStarted: Error, CustomStringConvertible {
        public var termination: String
        public var description: String { "the process ended (\(termination)) without being reported as running" }
    }

    /// The launch continuation, taken by whichever comes first: the start or the failure.
    private final class Handoff: Sendable {
        private let continuation: Mutex<CheckedContinuation<Int32, any Error>?>
        init(_ continuation: CheckedContinuation<Int32, any Error>) { self.continuation = Mutex(continuation) }
        func take() -> CheckedContinuation<Int32, any Error>? {
            continuation.withLock { current in
                defer { current = nil }
                return current
            }
        }
    }
}
