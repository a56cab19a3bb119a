import Logging
import OpenEnvCore

/// HTTP `/reset`, `/step`, `/state` (simulation mode only).
///
/// Without a session id they are stateless, as in the reference: each request builds an
/// environment, uses it once and closes it. With one (`"session_id"` in the body, or
/// `?session_id=` on `/state`) they act on that HTTP-created session, through the
/// session's serialized call path.
struct SimulationRoutes: Sendable {
    let registry: SessionRegistry
    let factory: EnvironmentFactory
    let configuration: ServerConfiguration
    let logger: Logger

    func register(on router: inout HTTPRouter) {
        router.post("/reset") { request, _ in await reset(request) }
        router.post("/step") { request, _ in await step(request) }
        router.get("/state") { request, _ in await state(request) }
    }

    private func reset(_ request: HTTPRequest) async -> HTTPResponse {
        var body: JSONObject
        switch RequestBody.object(request, emptyIsObject: true) {
        case .rejected(let response): return response
        case .object(let object): body = object
        }
        let issues = RequestBody.check(body, "seed", .optionalBoundedInt(minimum: 0))
            + RequestBody.check(body, "episode_id", .optionalString(maxLength: 255))
            + RequestBody.check(body, "session_id", .optionalString(maxLength: 255))
        guard issues.isEmpty else { return .unprocessable(issues) }
        if let seed = body["seed"], let i = RequestBody.laxInt(seed) { body["seed"] = .int(i) }
        let sessionID = body["session_id"]?.stringValue
        body["session_id"] = nil
        let arguments = body
        return await perform(sessionID: sessionID, principal: request.principal, operation: .reset) { try await $0.reset(arguments).httpPayload }
    }

    private func step(_ request: HTTPRequest) async -> HTTPResponse {
        let body: JSONObject
        switch RequestBody.object(request, emptyIsObject: true) {
        case .rejected(let response): return response
        case .object(let object): body = object
        }
        let issues = RequestBody.check(body, "action", .requiredObject)
            + RequestBody.check(body, "timeout_s", .optionalPositiveNumber)
            + RequestBody.check(body, "request_id", .optionalString(maxLength: 255))
            + RequestBody.check(body, "session_id", .optionalString(maxLength: 255))
        guard issues.isEmpty, let action = body["action"] else { return .unprocessable(issues) }
        return await perform(sessionID: body["session_id"]?.stringValue, principal: request.principal, operation: .step) { try await $0.step(action).httpPayload }
    }

    private func state(_ request: HTTPRequest) async -> HTTPResponse {
        let sessionID = request.query["session_id"]
        return await perform(sessionID: sessionID, principal: request.principal, countsAsActivity: false) { try await $0.state() }
    }

    /// Runs `body` on the addressed session or on a fresh, single-use environment.
    private func perform(
        sessionID: String?, principal: AccessPrincipal?, countsAsActivity: Bool = true, operation: CallOperation? = nil,
        _ body: @escaping @Sendable (AnyEnvironment) async throws -> JSONValue
    ) async -> HTTPResponse {
        do {
            let target = sessionID.flatMap { $0.isEmpty ? nil : CallTarget.addressed($0, principal) } ?? .temporary
            return .json(try await registry.call(target, countsAsActivity: countsAsActivity, operation: operation, body))
        } catch let failure as ValidationFailure {
            return .unprocessable(failure.issues, includeURL: true)
        } catch let error as SessionError {
            switch error {
            case .unknownSession, .closed: return .detail(.string(error.description), status: .notFound)
            case .deadlineExceeded: return .detail(.string(error.description), status: .gatewayTimeout)
            default: return .detail(.string(error.description), status: .conflict)
            }
        } catch {
            logger.error("environment call failed", metadata: ["error": "\(error)"])
            return .detail(.string("\(error)"), status: .internalServerError)
        }
    }
}
