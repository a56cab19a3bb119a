import Logging
import OpenEnvCore
import OpenEnvServer

/// Runs an ``OpenEnvServer`` on a free loopback port for the duration of `body` (which gets
/// the port), then shuts it down (``OpenEnvServer/withRunning(_:)``): every session is
/// closed before this returns.
public func withInProcessServer<T: Sendable>(
    _ factory: EnvironmentFactory, configuration: ServerConfiguration = ServerConfiguration(),
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    var logger = Logger(label: "test.server")
    logger.logLevel = .critical
    return try await OpenEnvServer(factory: factory, configuration: configuration, logger: logger).withRunning(body)
}
