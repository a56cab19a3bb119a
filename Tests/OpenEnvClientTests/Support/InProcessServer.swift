import Logging
import OpenEnvClient
import OpenEnvCore
import OpenEnvServer

/// A swift-openenv server running in this process on a loopback port, stoppable in the
/// middle of a test (stopping cancels the server task and waits: every session closed).
final class InProcessServer: Sendable {
    let address: ServerAddress
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) throws {
        self.port = port
        self.task = task
        address = try ServerAddress("http://127.0.0.1:\(port)")
    }

    /// Starts a server; `port` 0 picks a free one.
    static func start(_ factory: EnvironmentFactory, configuration: ServerConfiguration = ServerConfiguration(), port: Int = 0) async throws -> InProcessServer {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = port
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = OpenEnvServer(factory: factory, configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await server.run { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            _ = await task.result
            throw TestFailure("the in-process server did not start on port \(port)")
        }
        return try InProcessServer(port: bound, task: task)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// Runs `body` against a fresh in-process server and stops the server afterwards.
func withSwiftServer<T: Sendable>(
    _ factory: EnvironmentFactory, configuration: ServerConfiguration = ServerConfiguration(),
    _ body: (InProcessServer) async throws -> T
) async throws -> T {
    let server = try await InProcessServer.start(factory, configuration: configuration)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A quiet client configuration for tests (shorter timeouts than the defaults).
func testConfiguration(replyTimeout: Duration = .seconds(20)) -> ClientConfiguration {
    var logger = Logger(label: "test.client")
    logger.logLevel = .error
    return ClientConfiguration(connectTimeout: .seconds(5), replyTimeout: replyTimeout, logger: logger)
}
