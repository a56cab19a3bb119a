import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP
import OpenEnvServer

/// The gateway's plain HTTP side: forwards each request, whole, to one backend and answers
/// with the backend's status, headers and body.
///
/// Which backend:
/// - a request naming a session (`session_id` in the JSON body of `POST /reset`, `/step`, in
///   `params` of `POST /mcp`, or `?session_id=` on `GET /state`) goes to the backend that
///   created the session; a session whose backend died gets 502 (JSON-RPC: an error) naming
///   the backend and the cause; an id the gateway never saw goes to any backend, which
///   answers the reference's "unknown session";
/// - `openenv/session/create` takes a slot like a WebSocket does (least-loaded backend with
///   room; when every backend is full, the least-loaded one answers its own refusal), and the
///   `session_id` in its answer is pinned there; `openenv/session/close` unpins it;
/// - everything else (`/health`, `/metadata`, `/schema`, stateless `/reset` and `/step`, …)
///   goes to the least-loaded backend that is up.
///
/// The JSON of a body is read to find a session id, never rewritten: the bytes forwarded are
/// the client's. End-to-end headers travel both ways (`Authorization` included).
struct HTTPProxy: Sendable {
    let pool: BackendPool
    let bodyLimit: Int
    let timeout: Duration

    /// Response headers the gateway writes itself or that describe one hop.
    static let ownResponseHeaders: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "content-type", "server", "date", "upgrade",
    ]

    func forward(_ request: HTTPRequest) async -> HTTPResponse {
        var session: String?
        var rpc: (method: String?, id: JSONValue)?
        switch (request.method, request.path) {
        case (.POST, "/reset"), (.POST, "/step"):
            session = (try? JSONParser.parse(request.body))?["session_id"]?.stringValue
        case (.GET, "/state"):
            session = request.query["session_id"]
        case (.POST, "/mcp"):
            if let message = try? JSONParser.parse(request.body), message.objectValue != nil {
                rpc = (message["method"]?.stringValue, message["id"] ?? .null)
                session = message["params"]?["session_id"]?.stringValue
            }
        default:
            break
        }
        if let session, !session.isEmpty {
            switch pool.route(session: session) {
            case .pinned(let backend):
                let response = await send(request, to: backend)
                let closed = rpc?.method == "openenv/session/close" && Self.result(of: response)?["session_id"] != nil
                if closed || Self.saysSessionIsGone(response, session: session) {
                    pool.unpin(session)
                    pool.release(backend)
                }
                return response
            case .lost(let message):
                if let rpc { return .json(["jsonrpc": "2.0", "id": rpc.id, "error": ["code": -32000, "message": .string(message)]]) }
                return .detail(.string(message), status: .badGateway)
            case .unknown:
                break
            }
        } else if rpc?.method == "openenv/session/create" {
            switch pool.reserve() {
            case .success(let backend):
                let response = await send(request, to: backend)
                if let id = Self.result(of: response)?["session_id"]?.stringValue {
                    pool.pin(id, to: backend)
                } else {
                    pool.release(backend)
                }
                return response
            case .failure:
                break  // every backend full: the least-loaded one refuses in its own words
            }
        }
        guard let backend = pool.any() else {
            return .detail("No backend is available", status: .serviceUnavailable)
        }
        return await send(request, to: backend)
    }

    /// The backend no longer has `session` (it reaped it for idleness, or it was closed
    /// there): its `404` `detail`, or its JSON-RPC error's message, says so in the words of
    /// the server's session errors. The gateway then forgets the pin and the slot it held.
    static func saysSessionIsGone(_ response: HTTPResponse, session: String) -> Bool {
        guard let body = try? JSONParser.parse(response.body) else { return false }
        let message = response.status == .notFound ? body["detail"]?.stringValue : body["error"]?["message"]?.stringValue
        return message == "Unknown session_id: \(session)" || message == "Session \(session) is closed"
    }

    private static func result(of response: HTTPResponse) -> JSONValue? {
        guard response.status == .ok else { return nil }
        return (try? JSONParser.parse(response.body))?["result"]
    }

    private func send(_ request: HTTPRequest, to backend: BackendPool.Backend) async -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: backend.address.url + request.uri)
        outgoing.method = request.method
        for (name, value) in request.headers where !BackendConnector.hopByHop.contains(name.lowercased()) {
            outgoing.headers.add(name: name, value: value)
        }
        if !request.body.isEmpty || request.method == .POST || request.method == .PUT {
            outgoing.body = .bytes(request.body)
        }
        do {
            let response = try await HTTPClient.openEnv.execute(outgoing, deadline: .now() + TimeAmount(timeout))
            let body = try await response.body.collect(upTo: bodyLimit)
            var headers: [(String, String)] = []
            for (name, value) in response.headers where !Self.ownResponseHeaders.contains(name.lowercased()) { headers.append((name, value)) }
            return HTTPResponse(
                status: response.status, contentType: response.headers.first(name: "content-type") ?? "application/json",
                body: Array(body.readableBytesView), headers: headers)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .detail(.string("backend \(backend.address) did not answer within \(timeout)"), status: .gatewayTimeout)
        } catch {
            pool.connectionFailed(backend)  // no new sessions there until it answers a poll again
            return .detail(.string("backend \(backend.address) failed: \(error)"), status: .badGateway)
        }
    }
}
