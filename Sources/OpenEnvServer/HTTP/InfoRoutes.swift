import Hummingbird
import OpenEnvCore

/// `/health`, `/ready`, `/metadata`, `/schema`, `/openapi.json` and `POST /mcp`.
struct InfoRoutes: Sendable {
    let registry: SessionRegistry
    let factory: EnvironmentFactory
    let configuration: ServerConfiguration
    let dispatcher: JSONRPCDispatcher

    func register<Context: RequestContext>(on router: Router<Context>) {
        let metadata = Response.json(factory.info.metadataJSON)
        let schema = Response.json(factory.schemas.json)
        let openAPI = Response.json(OpenAPIDocument.make(mode: configuration.mode, info: factory.info))
        router.get("/health") { _, _ in Response.json(["status": "healthy"]) }
        router.get("/ready") { _, _ in await ready() }
        router.get("/metadata") { _, _ in metadata }
        router.get("/schema") { _, _ in schema }
        router.get("/openapi.json") { _, _ in openAPI }
        router.post("/mcp") { request, _ in
            let body = try await request.body.collect(upTo: configuration.maxMessageSize)
            return Response.json(await dispatcher.handle(raw: body.readableBytesView, binding: .http, parseErrorDetail: false))
        }
    }

    /// Readiness, distinct from liveness: 503 while draining or with every slot taken.
    private func ready() async -> Response {
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
