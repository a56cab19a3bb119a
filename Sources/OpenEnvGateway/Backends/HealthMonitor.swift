import AsyncHTTPClient
import Logging
import NIOCore
import OpenEnvCore
import OpenEnvHTTP

/// Polls every backend's `GET /ready` (a reference server without it: `GET /health`) every
/// `interval`, each poll bounded by `timeout`, and feeds the results to the ``BackendPool``.
/// When the pool takes a backend down, its relays are failed here with the cause.
struct HealthMonitor: Sendable {
    let pool: BackendPool
    let interval: Duration
    let timeout: Duration
    let logger: Logger

    /// Polls until cancelled.
    func run() async {
        while !Task.isCancelled {
            await poll(pool.all)
            try? await Task.sleep(for: interval)
        }
    }

    /// Polls `backends` once, concurrently.
    func poll(_ backends: [BackendPool.Backend]) async {
        await withTaskGroup(of: Void.self) { group in
            for backend in backends { group.addTask { await poll(backend) } }
        }
    }

    private func poll(_ backend: BackendPool.Backend) async {
        let ticket = pool.ticket(for: backend)
        let probe = await probe(backend.address)
        guard let (relays, cause) = pool.record(probe, for: backend, ticket: ticket) else { return }
        logger.warning("backend down", metadata: ["backend": "\(backend.address)", "sessions": "\(relays.count)", "cause": "\(cause)"])
        for channel in relays { channel.pipeline.fireUserInboundEventTriggered(FrameRelay.BackendLost(cause: cause)) }
    }

    private func probe(_ address: BackendAddress) async -> BackendPool.Probe {
        do {
            let (status, body) = try await get(address.url + "/ready")
            if status == 404 {
                let (health, _) = try await get(address.url + "/health")
                return health == 200 ? .ready(active: nil, max: nil, draining: false) : .failed("GET /health answered \(health)")
            }
            guard status == 200 || status == 503, let json = try? JSONParser.parse(body), let active = json["active_sessions"]?.intValue else {
                return .failed("GET /ready answered \(status)")
            }
            return .ready(active: active, max: json["max_sessions"]?.intValue, draining: json["status"]?.stringValue == "draining")
        } catch {
            return .failed("\(error)")
        }
    }

    private func get(_ url: String) async throws -> (Int, [UInt8]) {
        let response = try await HTTPClient.openEnv.execute(HTTPClientRequest(url: url), timeout: TimeAmount(timeout))
        let body = try await response.body.collect(upTo: 64 * 1024)
        return (Int(response.status.code), Array(body.readableBytesView))
    }
}
