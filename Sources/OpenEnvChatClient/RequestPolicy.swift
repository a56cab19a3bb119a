/// How a rubric calls an HTTP endpoint (an LLM judge, a reward service): the time one
/// attempt may take, how failed attempts are retried, and how many requests may be in
/// flight at once.
public struct RequestPolicy: Sendable, Equatable {
    /// The deadline of one attempt, from sending the request to the last byte of the reply.
    public var timeout: Duration
    /// Attempts in all (at least 1). Only transient failures are retried: timeouts,
    /// refused or dropped connections, and HTTP 408, 425, 429, 500, 502, 503, 504.
    public var maxAttempts: Int
    /// The wait before the second attempt; each later wait is `multiplier` times longer,
    /// capped at `maxBackoff`. A `Retry-After: <seconds>` header lengthens the wait
    /// (still capped).
    public var initialBackoff: Duration
    public var multiplier: Double
    public var maxBackoff: Duration
    /// Requests in flight at once through one client (waits in backoff do not count);
    /// further requests queue in arrival order.
    public var maxConcurrentRequests: Int

    public init(
        timeout: Duration = .seconds(60), maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(500),
        multiplier: Double = 2, maxBackoff: Duration = .seconds(10), maxConcurrentRequests: Int = 8
    ) {
        self.timeout = timeout
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.maxBackoff = maxBackoff
        self.maxConcurrentRequests = max(1, maxConcurrentRequests)
    }

    /// The wait after failed attempt `attempt` (1-based), given the server's `Retry-After`.
    func backoff(after attempt: Int, retryAfter: Duration?) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, attempt) {
            delay = delay * multiplier
            if delay >= maxBackoff { break }
        }
        if let retryAfter, retryAfter > delay { delay = retryAfter }
        return min(delay, maxBackoff)
    }
}
