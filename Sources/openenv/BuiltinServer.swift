import ArgumentParser
import Logging
import OpenEnvEnvironments
import OpenEnvServer

/// Serves a built-in environment in-process on a free loopback port while `body` runs
/// (`--env` of `openenv collect` and `openenv eval`), then stops it.
func withBuiltinServer<T: Sendable>(_ name: String, maxSessions: Int, label: String, _ body: @Sendable (String) async throws -> T) async throws -> T {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    let server = OpenEnvServer(
        factory: BuiltinEnvironments.named(name)!.factory,
        configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxSessions: maxSessions), logger: logger)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run { continuation.yield($0) } }
    defer { task.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw ExitCode.failure }
    let result = try await body("http://127.0.0.1:\(port)")
    task.cancel()
    _ = await task.result
    return result
}
