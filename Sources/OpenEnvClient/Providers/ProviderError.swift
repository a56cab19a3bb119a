/// Why a provider could not start a server or reach it.
public enum ProviderError: Error, Sendable, CustomStringConvertible {
    /// The command could not be started at all (executable missing, not executable…).
    case launchFailed(command: [String], reason: String)
    /// No free loopback port could be found for the server.
    case noFreePort(reason: String)
    /// The server process ended before it answered `/health`. `output` is the end of what
    /// it printed.
    case exitedBeforeReady(command: [String], status: String, output: String)
    /// `/health` did not answer 200 within the timeout; the server was stopped.
    case notReady(url: String, timeout: Duration, output: String)
    /// No usable container engine: the CLI is missing, or it cannot reach its engine
    /// (e.g. a `docker` client with no Docker daemon running).
    case containerEngineUnavailable(engine: String, reason: String)
    /// A container CLI command failed.
    case containerCommandFailed(command: [String], status: String, output: String)

    public var description: String {
        switch self {
        case .launchFailed(let command, let reason):
            "Could not start `\(command.joined(separator: " "))`: \(reason)"
        case .noFreePort(let reason):
            "No free loopback port: \(reason)"
        case .exitedBeforeReady(let command, let status, let output):
            "`\(command.joined(separator: " "))` exited (\(status)) before the server was ready" + Self.tail(output)
        case .notReady(let url, let timeout, let output):
            "\(url) did not answer 200 within \(timeout); the server was stopped" + Self.tail(output)
        case .containerEngineUnavailable(let engine, let reason):
            "No container engine available through `\(engine)`: \(reason)"
        case .containerCommandFailed(let command, let status, let output):
            "`\(command.joined(separator: " "))` failed (\(status))" + Self.tail(output)
        }
    }

    private static func tail(_ output: String) -> String { output.isEmpty ? "" : "; last output:\n\(output)" }
}
