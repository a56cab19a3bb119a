import AsyncHTTPClient
import NIOCore

/// The HTTP client every OpenEnvClient request goes through. It lives as long as the
/// process, like `HTTPClient.shared`, but unlike it a refused or failed connection fails
/// the request at once instead of being retried until the request's deadline: health
/// polling and lost-session detection depend on that. No redirects, no decompression.
let clientHTTP: HTTPClient = {
    var configuration = HTTPClient.Configuration(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), decompression: .disabled)
    configuration.connectionPool.retryConnectionEstablishment = false
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()
