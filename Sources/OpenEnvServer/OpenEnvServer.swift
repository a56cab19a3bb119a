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
/// a request runs in a task that prefers the connection's event loop, so a step of an
/// ``ExecutionPolicy/eventLoop`` environment crosses no threads; other environments run
/// their calls on the step pool (``ExecutionPolicy``), as do messages larger than
/// ``inlineMessageLimit`` of any environment.
///
/// Shutdown is graceful: the listener closes; every connection answers what it had
/// received, then a WebSocket closes with 1001 (within ``ServerConfiguration/drainTimeout``;
/// past it, 1011); then every session's environment is closed exactly once before
/// ``run(onListening:)`` returns. Cancelling the calling task shuts down the same way.
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
        // A tracer's exporter runs beside the listener and shuts down after it (a group stops
        // its services in reverse order), so the spans of the last calls are flushed.
        let exporter = configuration.tracing?.service.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        let group = ServiceGroup(
            configuration: .init(
                services: (exporter.map { [$0] } ?? []) + [.init(service: listener)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Messages and request bodies larger than this are parsed and handled on the step
    /// pool, whatever the environment's policy: a 16 MiB message costs milliseconds of
    /// parsing that no event loop should spend.
    static let inlineMessageLimit = 64 * 1024

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
        if let metrics = configuration.metrics {
            router.get("/metrics") { _, _ in
                metrics.recordUtilisation(active: await registry.activeCount, capacity: registry.maxSessions)
                return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
            }
        }
        InfoRoutes(registry: registry, factory: factory, configuration: configuration, dispatcher: dispatcher).register(on: &router)
        TaskRoutes(registry: registry).register(on: &router)
        if configuration.mode == .simulation {
            SimulationRoutes(registry: registry, factory: factory, configuration: configuration, logger: logger).register(on: &router)
        }
        StreamableMCPEndpoint(registry: registry, factory: factory).register(on: &router)
        if configuration.webInterface { WebRoutes(factory: factory, configuration: configuration, registry: registry).register(on: &router) }
        for route in WebSocketRoute.offered(by: self) where route != .jsonRPC { router.reserve(route.rawValue) }  // POST /mcp is HTTP
        return router
    }
}

/// Binds the socket, serves until graceful shutdown, then drains.
private struct Listener: Service {
    let server: OpenEnvServer
    let onListening: @Sendable (Int) async -> Void

    /// Who an upgrade request authenticates as: `.some(nil)` when no gate (or no token)
    /// applies, `nil` when it is refused.
    static func principal(of head: HTTPRequestHead, gate: AccessGate?) -> AccessPrincipal?? {
        guard let gate else { return .some(nil) }
        switch gate.authorize(path: head.uri, headers: head.headers, webSocket: true, record: false) {
        case .allow(let principal): return .some(principal)
        case .refuse: return nil
        }
    }

    func run() async throws {
        let configuration = server.configuration
        let stepPool = StepThreadPool(threads: configuration.stepThreads ?? StepThreadPool.defaultThreadCount)
        let metrics = configuration.metrics
        let gate = Optional(AccessGate(configuration: configuration, metrics: metrics, logger: server.logger)).flatMap { $0.isActive ? $0 : nil }
        let registry = SessionRegistry(factory: server.factory, configuration: configuration, logger: server.logger, stepPool: stepPool)
        let dispatcher = JSONRPCDispatcher(registry: registry)
        let router = server.makeRouter(registry: registry, dispatcher: dispatcher)
        let connections = ConnectionRegistry()
        let group = MultiThreadedEventLoopGroup.singleton
        let executors = EventLoopExecutors(group)
        let limit = configuration.maxMessageSize
        let ping = configuration.pingInterval.map(TimeAmount.init)
        let pingTimeout = TimeAmount(configuration.pingTimeout)
        let webSocketRoutes = WebSocketRoute.offered(by: server)

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 256)  // accept bursts in one loop tick
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                connections.track(channel)
                let executor = executors.executor(for: channel.eventLoop)
                let http = HTTPConnectionHandler(
                    router: router, bodyLimit: limit, executor: executor, largeBodyExecutor: stepPool,
                    requestTimeout: TimeAmount(configuration.requestTimeout), gate: gate, metrics: metrics, tracing: configuration.tracing)
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: limit * 2, automaticErrorHandling: false,  // WebSocketFrameValidator answers errors
                    shouldUpgrade: { channel, head in
                        // Without a valid token the upgrade is declined here, before any
                        // endpoint or session exists; the HTTP handler then answers 401.
                        guard WebSocketRoute.matching(head.uri, in: webSocketRoutes) != nil,
                            Self.principal(of: head, gate: gate) != nil
                        else { return channel.eventLoop.makeSucceededFuture(nil) }
                        // A browser that offered the page's subprotocol needs it named back.
                        var headers = HTTPHeaders()
                        if AccessGate.offersWebSocketProtocol(head.headers) {
                            headers.add(name: "sec-websocket-protocol", value: AccessGate.webSocketProtocol)
                        }
                        return channel.eventLoop.makeSucceededFuture(headers)
                    },
                    upgradePipelineHandler: { channel, head in
                        let request = HTTPRequest(head: head, body: [], principal: Self.principal(of: head, gate: gate) ?? nil)
                        let route = WebSocketRoute.matching(head.uri, in: webSocketRoutes) ?? .session  // checked by shouldUpgrade
                        let endpoint = route.endpoint(for: request, registry: registry, dispatcher: dispatcher, configuration: configuration)
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers(
                                WebSocketFrameValidator(maxMessageSize: limit * 2),
                                WebSocketConnectionHandler(
                                    endpoint: endpoint, executor: executor, largeMessageExecutor: stepPool,
                                    pingInterval: ping, pingTimeout: pingTimeout, metrics: metrics,
                                    traceContext: configuration.tracing?.context(from: head.headers)))
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

        try? await gracefulShutdown()  // SIGTERM/SIGINT, or the calling task was cancelled
        // Drain in a task of its own: a cancelled caller must not cut the drain short.
        let logger = server.logger
        let factory = server.factory
        await Task {
            logger.info("shutting down", metadata: ["connections": "\(connections.count)"])
            // 1. No new connections; every open one answers what it has received, then closes.
            try? await channel.close()
            connections.quiesceAll()
            if await !connections.waitUntilEmpty(timeout: configuration.drainTimeout) {
                logger.warning("drain timeout passed", metadata: ["connections": "\(connections.count)"])
                connections.failAll(code: .unexpectedServerError, reason: "server shutting down: the request did not finish in time")
            }
            // 2. Every session closed exactly once (a call still running is waited for, within
            //    the same bound again).
            let drained: Bool? = try? await withDeadline(
                configuration.drainTimeout, { await registry.drain(); return true }, onTimeout: { CancellationError() })
            _ = await connections.waitUntilEmpty(timeout: .seconds(1))
            if drained == nil {
                logger.warning("sessions still closing at exit")  // a call that ignores cancellation
            } else {
                await stepPool.shutdown()
            }
            await factory.shutdown()  // what the sessions shared, e.g. a warm pool of sandboxes
        }.value
    }
}
