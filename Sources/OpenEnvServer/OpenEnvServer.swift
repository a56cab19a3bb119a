import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import OpenEnvCore
import ServiceLifecycle

/// Serves one environment over the OpenEnv wire protocol (HTTP and WebSocket on one
/// port), so the official Python clients drive it unchanged.
///
/// ```swift
/// let server = OpenEnvServer(factory: EnvironmentFactory { MyEnvironment() },
///                            configuration: ServerConfiguration(port: 8000))
/// try await server.run()   // until SIGINT or SIGTERM
/// ```
///
/// Built directly on SwiftNIO: each connection is a small channel pipeline, and the work of
/// a request runs in a task that prefers the connection's event loop, so a step crosses no
/// threads. Shutdown is graceful: the listener closes, every WebSocket gets a close frame
/// after its message in progress, and every session's environment is closed exactly once
/// before ``run(onListening:)`` returns. Cancelling the calling task shuts down the same way.
public struct OpenEnvServer: Sendable {
    public let factory: EnvironmentFactory
    public let configuration: ServerConfiguration
    public let logger: Logger

    public init(factory: EnvironmentFactory, configuration: ServerConfiguration, logger: Logger = Logger(label: "openenv.server")) {
        self.factory = factory
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGINT/SIGTERM (or cancellation). `onListening` receives the bound port
    /// (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let listener = Listener(server: self, onListening: onListening)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: listener)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Whether `/harness` is served: production mode, for harness environments (spec §2.9).
    var servesHarness: Bool { configuration.mode == .production && factory.providesHarness }

    /// Serves while `body` runs with the bound port (useful with port 0), then shuts down as
    /// on SIGTERM — every session closed — before returning `body`'s result or rethrowing
    /// its error. Throws the server's own error when it cannot start (e.g. the port is taken).
    public func withRunning<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await run { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw CancellationError()  // run() returned without listening: only when cancelled
        }
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

    /// The routes of the plain HTTP side.
    func makeRouter(registry: SessionRegistry, dispatcher: JSONRPCDispatcher) -> HTTPRouter {
        var router = HTTPRouter()
        InfoRoutes(registry: registry, factory: factory, configuration: configuration, dispatcher: dispatcher).register(on: &router)
        TaskRoutes(factory: factory, configuration: configuration).register(on: &router)
        if configuration.mode == .simulation {
            SimulationRoutes(registry: registry, factory: factory, configuration: configuration, logger: logger).register(on: &router)
        }
        StreamableMCPEndpoint(registry: registry, factory: factory).register(on: &router)
        router.reserve("/ws")
        if servesHarness { router.reserve("/harness") }
        return router
    }
}

/// Binds the socket, serves until graceful shutdown, then drains.
private struct Listener: Service {
    let server: OpenEnvServer
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        let configuration = server.configuration
        let registry = SessionRegistry(factory: server.factory, configuration: configuration, logger: server.logger)
        let dispatcher = JSONRPCDispatcher(registry: registry, factory: server.factory)
        let router = server.makeRouter(registry: registry, dispatcher: dispatcher)
        let connections = ConnectionRegistry()
        let group = MultiThreadedEventLoopGroup.singleton
        let executors = EventLoopExecutors(group)
        let limit = configuration.maxMessageSize
        let ping = configuration.pingInterval.map(TimeAmount.init)
        let pingTimeout = TimeAmount(configuration.pingTimeout)
        let servesHarness = server.servesHarness

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 256)  // accept bursts in one loop tick
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let executor = executors.executor(for: channel.eventLoop)
                let http = HTTPConnectionHandler(router: router, bodyLimit: limit, executor: executor)
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: limit * 2, automaticErrorHandling: true,
                    shouldUpgrade: { channel, head in
                        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
                        return channel.eventLoop.makeSucceededFuture(path == "/ws" || path == "/mcp" || (servesHarness && path == "/harness") ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, head in
                        let request = HTTPRequest(head: head, body: [])
                        let endpoint: any WebSocketEndpoint
                        if configuration.echoFramesOnly {
                            endpoint = FrameEchoEndpoint()
                        } else if request.path == "/harness" {
                            endpoint = HarnessEndpoint(registry: registry)
                        } else if request.path == "/mcp" {
                            endpoint = JSONRPCEndpoint(registry: registry, dispatcher: dispatcher)
                        } else {
                            endpoint = SimulationEndpoint(registry: registry, dispatcher: dispatcher, messageLimit: limit, attachTo: request.query["session_id"])
                        }
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers(
                                NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: limit * 2),
                                WebSocketConnectionHandler(endpoint: endpoint, executor: executor, pingInterval: ping, pingTimeout: pingTimeout, registry: connections))
                        }
                    })
                let boundHTTP = NIOLoopBound(http, eventLoop: channel.eventLoop)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(boundHTTP.value, promise: nil)
                        }),
                        withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(boundHTTP.value)
                }
            }

        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        await registry.startReaper()
        await onListening(channel.localAddress?.port ?? configuration.port)
        server.logger.info("listening", metadata: ["address": "\(configuration.host):\(channel.localAddress?.port ?? 0)"])

        try? await gracefulShutdown()
        server.logger.info("shutting down")
        try? await channel.close()
        connections.closeAll()
        await registry.drain()
        // Give close handshakes a moment to complete.
        for _ in 0..<50 where connections.count > 0 { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
