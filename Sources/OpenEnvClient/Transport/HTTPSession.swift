import OpenEnvCore

/// Reset, step and state over the HTTP simulation routes (spec §1.3–1.5).
///
/// - Without a session id the routes are stateless, exactly as in the reference: every
///   request builds a fresh environment, so a step never sees the previous reset. Useful
///   for one-shot evaluation and for probing a server.
/// - With a session id (created by `openenv/session/create`), swift-openenv servers run
///   the requests on that session: `"session_id"` in the `/reset` and `/step` bodies and
///   `?session_id=` on `/state`. The reference server ignores these keys, so this mode
///   only has state on swift-openenv servers. ``close()`` closes the session.
///
/// Non-2xx answers throw ``OpenEnvError/httpStatus(_:body:)``, except `404 Unknown
/// session_id`, which is ``OpenEnvError/sessionLost(_:)``; an unreachable server is a lost
/// session when there is one, else ``OpenEnvError/connectionFailed(url:reason:)``. A slow
/// answer is ``OpenEnvError/replyTimeout(_:)`` and leaves the session as it is (each HTTP
/// request gets its own answer, so nothing can be mismatched).
actor HTTPSession: SessionTransport {
    let sessionID: String?
    private let http: HTTPJSONClient
    private let rpc: JSONRPCClient
    private var closed = false
    private var lost: SessionLossReason?

    private init(sessionID: String?, http: HTTPJSONClient, rpc: JSONRPCClient) {
        self.sessionID = sessionID
        self.http = http
        self.rpc = rpc
    }

    /// The stateless routes; creates nothing on the server.
    static func stateless(_ http: HTTPJSONClient) -> HTTPSession {
        HTTPSession(sessionID: nil, http: http, rpc: JSONRPCClient(http: http))
    }

    /// Creates an HTTP session on the server and drives it through the HTTP routes.
    static func session(_ http: HTTPJSONClient) async throws(OpenEnvError) -> HTTPSession {
        let rpc = JSONRPCClient(http: http)
        let id = try await rpc.createSession()
        return HTTPSession(sessionID: id, http: http, rpc: rpc)
    }

    func reset(_ arguments: JSONObject) async throws(OpenEnvError) -> JSONObject {
        var body = arguments
        if let sessionID { body["session_id"] = .string(sessionID) }
        return try observation(try await send(.POST, "/reset", json: .object(body)))
    }

    func step(_ action: JSONValue) async throws(OpenEnvError) -> JSONObject {
        var body: JSONObject = ["action": action]
        if let sessionID { body["session_id"] = .string(sessionID) }
        return try observation(try await send(.POST, "/step", json: .object(body)))
    }

    func state() async throws(OpenEnvError) -> JSONValue {
        let query = sessionID.map { "?session_id=" + ServerAddress.percentEncoded($0) } ?? ""
        return try await send(.GET, "/state" + query, json: nil)
    }

    func close() async {
        guard !closed else { return }
        closed = true
        if let sessionID, lost == nil { try? await rpc.closeSession(sessionID) }
    }

    private func observation(_ body: JSONValue) throws(OpenEnvError) -> JSONObject {
        guard let object = body.objectValue, object["observation"] != nil else {
            throw .unexpectedReply("expected an observation response", body)
        }
        return object
    }

    private func send(_ method: HTTPJSONClient.Method, _ path: String, json: JSONValue?) async throws(OpenEnvError) -> JSONValue {
        if closed { throw .closed }
        if let lost { throw .sessionLost(lost) }
        let response: HTTPJSONClient.Response
        do throws(OpenEnvError) {
            response = try await http.send(method, path, json: json)
        } catch .connectionFailed(let url, let reason) where sessionID != nil {
            lost = .connectionError("\(url): \(reason)")
            throw .sessionLost(lost!)
        }
        if response.isSuccess { return response.body }
        if let sessionID, response.status == 404, response.body["detail"]?.stringValue == "Unknown session_id: \(sessionID)" {
            lost = .unknownSession(sessionID)
            throw .sessionLost(.unknownSession(sessionID))
        }
        throw .httpStatus(response.status, body: response.body)
    }
}
