import OpenEnvCore

/// `/health`, `/ready`, `/metadata`, `/schema`, `/openapi.json` and `POST /mcp`.
struct InfoRoutes: Sendable {
    let registry: SessionRegistry
    let factory: EnvironmentFactory
    let configuration: ServerConfiguration
    let dispatcher: JSONRPCDispatcher

    func register(on router: inout HTTPRouter) {
        router.add(.GET, "/health", .constant(.json(["status": "healthy"])))
        router.add(.GET, "/metadata", .constant(.json(factory.info.metadataJSON)))
        router.add(.GET, "/schema", .constant(.json(factory.schemas.json)))
        router.add(.GET, "/openapi.json", .constant(.json(OpenAPIDocument.make(mode: configuration.mode, info: factory.info))))
        router.get("/ready") { _, _ in await ready() }
        router.post("/mcp") { request, _ in
            HTTPResponse.json(await dispatcher.handle(raw: request.body, binding: .http(request.principal), parseErrorDetail: false))
        }
    }

    /// Readiness, distinct from liveness: 503 while draining or with every slot taken.
    private func ready() async -> HTTPResponse {
        var body = await registry.capacityJSON
        if await registry.isDraining {
            body["status"] = "draining"
            return .json(.object(body), status: .serviceUnavailable)
        }
        let full = await registry.activeCount >= registry.maxSessions
        body["status"] = full ? "full" : "ready"
        return .json(.object(body), status: full ? .serviceUnavailable : .ok)
    }
}
