import NIOHTTP1
import OpenEnvCore
import OpenEnvServer

/// `GET` and `PUT /admin/backends`: who the gateway routes to.
///
/// Both need `Authorization: Bearer <admin token>` (``GatewayConfiguration/adminToken``);
/// without a configured token they answer 403: the set is then fixed by `--backend`. The
/// admin token is the gateway's own: it is checked here and never forwarded, and the
/// clients' tokens (forwarded to the backends) never open these routes.
///
/// `PUT` takes `{"backends": [{"id": "…", "url": "http://host:port"}, …]}` (other fields of
/// an entry are ignored, so `openenv_fleet.fleet.dumps` output goes in as is) as the complete
/// new set, polls the new backends once, and answers the resulting set (as `GET` does).
struct AdminRoutes: Sendable {
    let pool: BackendPool
    let adminToken: String?
    let monitor: HealthMonitor

    func register(on router: inout HTTPRouter) {
        router.get("/admin/backends") { request, _ in
            if let refusal = refusal(request) { return refusal }
            return .json(["backends": .array(pool.snapshot)])
        }
        router.add(.PUT, "/admin/backends", .dynamic { request, _ in await replace(request) })
    }

    private func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard let adminToken else {
            return .detail("The admin API is disabled: start the gateway with --admin-token-file", status: .forbidden)
        }
        let presented = request.headers.first(name: "authorization") ?? ""
        guard Self.constantTimeEqual(Array(presented.utf8), Array("Bearer \(adminToken)".utf8)) else {
            var response = HTTPResponse.detail("Invalid or missing admin token", status: .unauthorized)
            response.headers.append(("www-authenticate", "Bearer"))
            return response
        }
        return nil
    }

    private func replace(_ request: HTTPRequest) async -> HTTPResponse {
        if let refusal = refusal(request) { return refusal }
        guard let body = try? JSONParser.parse(request.body), case .array(let entries)? = body["backends"] else {
            return .detail("expected {\"backends\": [{\"id\": ..., \"url\": \"http://host:port\"}, ...]}", status: .unprocessableEntity)
        }
        var addresses: [BackendAddress] = []
        for entry in entries {
            guard let url = entry["url"]?.stringValue, let address = BackendAddress(url: url, id: entry["id"]?.stringValue) else {
                return .detail(.string("not a backend: \(JSONWriter().string(entry)) (want an http://host:port url)"), status: .unprocessableEntity)
            }
            addresses.append(address)
        }
        let added = pool.replace(with: addresses)
        await monitor.poll(added)
        return .json(["backends": .array(pool.snapshot)])
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return difference == 0
    }
}
