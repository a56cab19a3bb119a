/// Delays between attempts to open a fresh session: exponential, capped, with a bounded
/// number of attempts. The delay before attempt `n` (from 1) is
/// `min(initialDelay · multiplierⁿ⁻², maxDelay)`; the first attempt starts at once.
public struct Backoff: Sendable, Equatable {
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration
    /// Attempts in all, at least 1.
    public var maxAttempts: Int

    public init(initialDelay: Duration = .milliseconds(100), multiplier: Double = 2, maxDelay: Duration = .seconds(5), maxAttempts: Int = 8) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.maxAttempts = max(1, maxAttempts)
    }

    /// The delay to wait before attempt `attempt` (1-based); zero for the first.
    public func delay(before attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        var delay = initialDelay
        for _ in 2..<attempt {
            delay = delay * multiplier
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}

/// What ``EnvClient/reconnectToFreshSession(backoff:)`` hands back: proof that the client
/// now drives a **new** server session. Nothing of the previous session survived: not
/// the environment, not the episode, not the step count. The next call must be `reset`.
public struct FreshSession: Sendable, Equatable {
    /// How many connection attempts it took.
    public var attempts: Int
    /// Counts the sessions this client has driven: 1 for the first, 2 after the first
    /// reconnection, and so on.
    public var generation: Int
    /// The new session's id when the transport knows it (HTTP-created sessions).
    public var sessionID: String?
}
