import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import OpenEnvCore
import OpenEnvServer
import ServiceLifecycle

/// `openenv gateway`: one URL in front of many OpenEnv servers.
///
/// - A `/ws` (or any WebSocket) session is relayed, frame by frame, to one backend for its
///   whole life (``FrameRelay``): the least-loaded one with a free slot, or, for
///   `?session_id=`, the backend holding that session. The 101 names the backend in
///   `x-openenv-backend`. When no backend has a free slot the gateway answers the reference's
///   `CAPACITY_REACHED` frame (summed `active_sessions`/`max_sessions`) and closes 1000.
/// - HTTP requests are forwarded whole (``HTTPProxy``); HTTP sessions stay on the backend
///   that created them.
/// - `GET /ready` is the gateway's own: the routable backends' summed capacity (503 when
///   every one is full, or none is up). `/admin/backends` changes the set (``AdminRoutes``).
/// - A backend that dies fails exactly the sessions it carried (``BackendPool``); its
///   clients get `BACKEND_LOST`, never a new session elsewhere.
/// - Clients are held to the server's bounds: a whole HTTP request within `requestTimeout`,
///   bodies and frames up to `maxMessageSize`; backends to `connectTimeout` for the
///   handshake and `upstreamTimeout` for an HTTP answer.
public struct OpenEnvGateway: Sendable {
    public let configuration: GatewayConfiguration
    public let logger: Logger

    public init(configuration: GatewayConfiguration, logger: Logger = Logger(label: "openenv.gateway")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGINT/SIGTERM (or cancellation); `onListening` gets the bound port once
    /// the backends given at start were polled once.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let listener = GatewayListener(gateway: self, onListening: onListening)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: listener)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Serves while `body` runs with the bound port, then shuts down.
    public func withRunning<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await run { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw CancellationError()
        }
        defer { task.cancel() }
        let result = try await body(port)
        task.cancel()
        _ = await task.result
        return result
    }
}

/// Where a client's WebSocket upgrade goes, decided before the 101 is sent.
private enum UpgradePlan {
    case relay(backendChannel: any Channel, backend: BackendPool.Backend, reserved: Bool)
    case refuse(frame: [UInt8])
}

private struct GatewayListener: Service {
    let gateway: OpenEnvGateway
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        let configuration = gateway.configuration
        let logger = gateway.logger
        let pool = BackendPool(configuration.backends, failuresBeforeDown: configuration.failuresBeforeDown)
        let monitor = HealthMonitor(pool: pool, interval: configuration.healthInterval, timeout: configuration.healthTimeout, logger: logger)
        let proxy = HTTPProxy(pool: pool, bodyLimit: configuration.maxMessageSize, timeout: configuration.upstreamTimeout)
        var router = HTTPRouter()
        router.get("/ready") { _, _ in Self.ready(pool.capacity) }
        AdminRoutes(pool: pool, adminToken: configuration.adminToken, monitor: monitor).register(on: &router)
        router.fallback = .dynamic { request, _ in await proxy.forward(request) }
        let routes = router
        let limit = configuration.maxMessageSize
        let connector = BackendConnector(maxFrameSize: limit, timeout: TimeAmount(configuration.connectTimeout))
        let requestTimeout = TimeAmount(configuration.requestTimeout)

        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let plan = NIOLoopBoundBox(UpgradePlan?.none, eventLoop: channel.eventLoop)
                channel.closeFuture.whenComplete { _ in
                    if case .relay(let backendChannel, _, _)? = plan.value { backendChannel.close(promise: nil) }
                }
                let http = HTTPConnectionHandler(router: routes, bodyLimit: limit, executor: nil, requestTimeout: requestTimeout)
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: limit, automaticErrorHandling: true,
                    shouldUpgrade: { channel, head in
                        Self.plan(head, pool: pool, connector: connector, channel: channel).map { decided in
                            plan.value = decided
                            switch decided {
                            case .relay(_, let backend, _): return HTTPHeaders([("x-openenv-backend", backend.address.id)])
                            case .refuse: return HTTPHeaders()
                            case nil: return nil  // the HTTP side forwards the request as is (a 401, a 404…)
                            }
                        }
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            switch plan.value {
                            case .refuse(let frame)?:
                                try channel.pipeline.syncOperations.addHandler(LocalRefusal(frame: frame))
                            case .relay(let backendChannel, let backend, let reserved)?:
                                let client = FrameRelay(side: .client, backend: backend.address)
                                try channel.pipeline.syncOperations.addHandler(client)
                                let backendRelay = try backendChannel.pipeline.syncOperations.handler(type: FrameRelay.self)
                                FrameRelay.join(client, backendRelay)
                                backendChannel.closeFuture.whenComplete { _ in
                                    pool.untrack(backendChannel, on: backend)
                                    if reserved { pool.release(backend) }
                                }
                                if !pool.track(backendChannel, on: backend) {
                                    backendChannel.pipeline.fireUserInboundEventTriggered(
                                        FrameRelay.BackendLost(cause: "backend \(backend.address) went down during the handshake"))
                                }
                                backendChannel.read()
                            case nil:
                                channel.close(promise: nil)
                            }
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

        await monitor.poll(pool.all)
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("listening", metadata: ["address": "\(configuration.host):\(port)", "backends": "\(pool.all.count)"])
        let monitoring = Task { await monitor.run() }
        let discovery = configuration.backendDNS.flatMap(DNSDiscovery.init).map { dns in
            Task {
                while !Task.isCancelled {
                    if let found = dns.resolve() { await monitor.poll(pool.replace(with: found)) }
                    try? await Task.sleep(for: configuration.healthInterval)
                }
            }
        }
        await onListening(port)
        try? await gracefulShutdown()
        discovery?.cancel()
        try? await channel.close()
        // Open relays get the drain timeout to end; then each client hears why it ends.
        let deadline = ContinuousClock.now + configuration.drainTimeout
        while pool.relayCount > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        monitoring.cancel()
        _ = await monitoring.value
        for backend in pool.all {
            for channel in pool.takeRelays(of: backend) {
                channel.pipeline.fireUserInboundEventTriggered(FrameRelay.BackendLost(cause: "the gateway is shutting down"))
            }
        }
        try? await Task.sleep(for: .milliseconds(200))  // the close frames on their way out
    }

    /// Decides where an upgrade goes; `nil` sends the request to the HTTP side.
    ///
    /// A backend that cannot be connected to (before any session exists there) is set
    /// aside and the next best one is tried, up to three in all: no session is moved, since
    /// none existed. A backend that answers the upgrade with an HTTP status (401, 404…) is
    /// not retried: the HTTP side forwards the request so the client gets that answer.
    /// Must be called on `channel`'s event loop.
    static func plan(
        _ head: HTTPRequestHead, pool: BackendPool, connector: BackendConnector, channel: any Channel, attempt: Int = 1
    ) -> EventLoopFuture<UpgradePlan?> {
        let eventLoop = channel.eventLoop
        let query = HTTPRequest(head: head, body: []).query
        let backend: BackendPool.Backend
        var reserved = false
        if let session = query["session_id"], !session.isEmpty {
            switch pool.route(session: session) {
            case .pinned(let pinned): backend = pinned
            case .lost(let message): return eventLoop.makeSucceededFuture(.refuse(frame: WireFrames.error("BACKEND_LOST", message)))
            case .unknown:
                guard let any = pool.any() else { return eventLoop.makeSucceededFuture(.refuse(frame: capacityFrame(pool.capacity))) }
                backend = any
            }
        } else {
            switch pool.reserve() {
            case .success(let chosen):
                backend = chosen
                reserved = true
            case .failure(let capacity):
                return eventLoop.makeSucceededFuture(.refuse(frame: capacityFrame(capacity)))
            }
        }
        let backendAddress = backend.address
        let pinned = !reserved && query["session_id"].map { !$0.isEmpty } == true
        return connector.connect(to: backendAddress, uri: head.uri, headers: head.headers, on: eventLoop) {
            FrameRelay(side: .backend, backend: backendAddress)
        }
        .map { UpgradePlan?.some(.relay(backendChannel: $0, backend: backend, reserved: reserved)) }
        .flatMapError { error in
            if reserved { pool.release(backend) }
            guard !(error is BackendConnector.Refusal) else { return eventLoop.makeSucceededFuture(nil) }
            pool.connectionFailed(backend)
            guard !pinned, attempt < 3 else { return eventLoop.makeSucceededFuture(nil) }
            return plan(head, pool: pool, connector: connector, channel: channel, attempt: attempt + 1)
        }
    }

    /// The reference's refusal at capacity, with the routable backends' sums.
    static func capacityFrame(_ capacity: BackendPool.Capacity) -> [UInt8] {
        guard capacity.routable > 0 else {
            return WireFrames.error("CAPACITY_REACHED", "No backend is available. Cannot accept new connections.", extra: ["active_sessions": 0, "max_sessions": 0])
        }
        let max = capacity.max ?? capacity.active
        return WireFrames.error(
            "CAPACITY_REACHED", "Server at capacity: \(capacity.active)/\(max) sessions active. Cannot accept new connections.",
            extra: ["active_sessions": .int(capacity.active), "max_sessions": .int(max)])
    }

    static func ready(_ capacity: BackendPool.Capacity) -> HTTPResponse {
        let full = capacity.routable == 0 || capacity.max.map { capacity.active >= $0 } ?? false
        let body: JSONValue = [
            "status": .string(capacity.routable == 0 ? "unavailable" : full ? "full" : "ready"),
            "active_sessions": .int(capacity.active), "max_sessions": capacity.max.map { .int($0) } ?? .null,
            "backends": .int(capacity.routable),
        ]
        return .json(body, status: full ? .serviceUnavailable : .ok)
    }
}
