import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP

/// JSON over HTTP to one server, on `HTTPClient.openEnv` (which needs no
/// shutdown). Bodies are compact JSON; the configured headers and TLS settings go on
/// every request; each request is bounded by `timeout`.
struct HTTPJSONClient: Sendable {
    let address: ServerAddress
    let configuration: ClientConfiguration

    enum Method: Sendable {
        case GET, POST
        var nio: HTTPMethod { self == .GET ? .GET : .POST }
    }

    /// A response: the status and the body as JSON (`.string(text)` when it is not JSON,
    /// `.null` when empty).
    struct Response: Sendable {
        var status: Int
        var body: JSONValue
        var isSuccess: Bool { (200..<300).contains(status) }
    }

    /// Sends one request. Throws ``OpenEnvError/replyTimeout(_:)`` when the answer does not
    /// come within `timeout` (default: the reply timeout) and
    /// ``OpenEnvError/connectionFailed(url:reason:)`` when the server cannot be reached or
    /// the connection breaks; any status is returned, not thrown.
    func send(_ method: Method, _ path: String, json: JSONValue? = nil, timeout: Duration? = nil) async throws(OpenEnvError) -> Response {
        let url = address.url(path: path)
        var request = HTTPClientRequest(url: url)
        request.method = method.nio
        request.tlsConfiguration = configuration.tlsConfiguration
        for (name, value) in configuration.headers { request.headers.add(name: name, value: value) }
        if let json {
            let bytes = JSONWriter().bytes(json)
            guard bytes.count <= configuration.maxOutgoingMessageSize else {
                throw .messageTooLarge(size: bytes.count, limit: configuration.maxOutgoingMessageSize)
            }
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let limit = timeout ?? configuration.replyTimeout
        do {
            let response = try await HTTPClient.openEnv.execute(request, timeout: TimeAmount(limit))
            let body = try await response.body.collect(upTo: configuration.maxIncomingMessageSize)
            let bytes = body.readableBytesView
            let value: JSONValue
            if bytes.isEmpty {
                value = .null
            } else if let parsed = try? JSONParser.parse(bytes) {
                value = parsed
            } else {
                value = .string(String(decoding: bytes, as: UTF8.self))
            }
            return Response(status: Int(response.status.code), body: value)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .replyTimeout(limit)
        } catch {
            throw .connectionFailed(url: url, reason: "\(error)")
        }
    }
}

