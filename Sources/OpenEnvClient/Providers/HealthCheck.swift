import OpenEnvCore

/// Waits for a server to become healthy: `GET /health` until it answers 200, every
/// `interval` (0.5 s, as the reference providers), each request bounded by 2 s.
enum HealthCheck {
    enum Outcome: Sendable {
        case healthy
        /// `giveUp` said to stop (e.g. the process exited).
        case gaveUp
        case timedOut
    }

    /// Polls until healthy, until `giveUp()` returns true (checked between polls), or
    /// until `timeout` has passed.
    static func wait(
        for address: ServerAddress, timeout: Duration, interval: Duration = .milliseconds(500),
        configuration: ClientConfiguration = ClientConfiguration(), giveUp: @Sendable () async -> Bool = { false }
    ) async throws -> Outcome {
        let http = HTTPJSONClient(address: address, configuration: configuration)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let response = try? await http.send(.GET, "/health", timeout: .seconds(2)), response.status == 200 { return .healthy }
            if await giveUp() { return .gaveUp }
            guard clock.now + interval < deadline else { return .timedOut }
            try await Task.sleep(for: interval)
        }
    }
}
