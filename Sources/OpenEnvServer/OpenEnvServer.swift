import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
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
/// Shutdown is graceful: new connections are refused, in-flight calls finish, and every
/// session's environment is closed exactly once before ``run(onListening:)`` returns.
public struct OpenEnvServer: Sendable {
    public let factory: EnvironmentFactory
    public let configuration: ServerConfiguration
    public let logger: Logger

    public init(factory: EnvironmentFactory, configuration: ServerConfiguration, logger: Logger = Logger(label: "openenv.server")) {
        self.factory = factory
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGINT/SIGTERM. `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let registry = SessionRegistry(factory: factory, configuration: configuration, logger: logger)
        let dispatcher = JSONRPCDispatcher(registry: registry, factory: factory)

        var paths: Set<String> = ["/health", "/ready", "/metadata", "/schema", "/openapi.json", "/mcp", "/list_environments", "/ws"]
        if configuration.mode == .simulation { paths.formUnion(["/reset", "/step", "/state"]) }
        let router = Router()
        router.middlewares.add(FastAPIErrorMiddleware(routes: RouteTable(exact: paths, taskSuffixes: TaskRoutes.suffixes)))
        InfoRoutes(registry: registry, factory: factory, configuration: configuration, dispatcher: dispatcher).register(on: router)
        TaskRoutes(factory: factory, configuration: configuration).register(on: router)
        if configuration.mode == .simulation {
            SimulationRoutes(registry: registry, factory: factory, configuration: configuration, logger: logger).register(on: router)
        }

        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        WebSocketRoutes(registry: registry, dispatcher: dispatcher, configuration: configuration, logger: logger).register(on: wsRouter)

        let ping: AutoPingSetup = configuration.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled
        let wsConfiguration = WebSocketServerConfiguration(
            maxFrameSize: configuration.maxMessageSize * 2, autoPing: ping, closeTimeout: .seconds(5))
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: wsRouter, configuration: .init(ws: wsConfiguration)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "swift-openenv"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)

        await registry.startReaper()
        let sessions = SessionDrain(registry: registry)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: sessions), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Closes every session when the server shuts down (after the HTTP server stopped).
private struct SessionDrain: Service {
    let registry: SessionRegistry

    func run() async throws {
        try? await gracefulShutdown()
        await registry.drain()
    }
}
