import Logging
import OpenEnvCore
import OpenEnvServer

/// Runs an ``OpenEnvServer`` on a free loopback port for the duration of `body` (which gets
/// the base URL), then shuts it down: the server task is cancelled and awaited, so every
/// session is closed before this returns.
public func withInProcessServer<T: Sendable>(
    _ factory: EnvironmentFactory, configuration: ServerConfiguration = ServerConfiguration(),
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "test.server")
    logger.logLevel = .critical
    let server = OpenEnvServer(factory: factory, configuration: configuration, logger: logger)
    let task = Task { try await server.run { port in continuation.yield(port) } }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw InProcessServerError.didNotStart }
    do {
        let result = try await body(port)
        task.cancel()
        _ = await task.result
        return result
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
}

public enum InProcessServerError: Error { case didNotStart }
