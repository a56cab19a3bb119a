/// Starts an OpenEnv server and knows how to stop it (spec §6.6).
///
/// ``start()`` returns only once the server answers `GET /health` with 200, and leaves
/// nothing running when it throws. Hand the provider to `EnvClient.launch` to get a
/// connected client that owns the server.
public protocol ServerProvider: Sendable {
    associatedtype Server: RunningServer
    /// Starts a server and waits until it is healthy. Throws ``ProviderError``.
    func start() async throws -> Server
}

/// A server started by a ``ServerProvider``.
public protocol RunningServer: Sendable {
    /// Where the server listens.
    var address: ServerAddress { get }
    /// Stops the server and releases everything it used (processes, containers). Waits
    /// until that is done. Idempotent; never throws (failures are logged).
    func stop() async
}
