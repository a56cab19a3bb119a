import AsyncHTTPClient

extension HTTPClient {
    /// The one HTTP client of every OpenEnv module (the OpenEnv client, the MCP bridge, the
    /// validator's probes, the Hub, scoring and chat endpoints, Space publishing).
    ///
    /// It lives as long as the process, like `HTTPClient.shared`, on the same event loop
    /// group, but differs from it in what OpenEnv's callers depend on:
    /// - a refused or failed connection fails the request at once instead of being retried
    ///   until the request's deadline (health polling, lost-session detection and the
    ///   callers' own retry policies need the failure);
    /// - redirects are not followed: a caller that wants one follows it itself and decides
    ///   which headers travel (a token stays on the host it was meant for);
    /// - bodies are not decompressed; connecting gives up after 10 s.
    public static let openEnv: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
