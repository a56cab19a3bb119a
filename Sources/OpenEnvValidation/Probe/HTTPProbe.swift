import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP

/// Plain HTTP requests to the server under test, each bounded by a timeout. Nothing is
/// decompressed, redirected or retried, so what is checked is what the server sent.
struct HTTPProbe: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        /// The body as JSON, or `nil` when it is not JSON.
        var json: JSONValue? { try? JSONParser.parse(body) }
    }

    /// A request that got no response; `description` reads like the reference's
    /// `Request failed: <Type>: <message>`.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var type: String
        var message: String
        var description: String { "Request failed: \(type): \(message)" }
    }

    let baseURL: String
    let timeout: Duration
    /// Sent on every request (an `Authorization` header, for instance).
    var headers: [String: String] = [:]
    static let maxBody = 8 * 1024 * 1024

    func get(_ path: String, headers: [(String, String)] = []) async throws(Failure) -> Response {
        try await send(.GET, path, body: nil, headers: headers)
    }

    func post(_ path: String, json: JSONValue) async throws(Failure) -> Response {
        try await send(.POST, path, body: JSONWriter().bytes(json), headers: [("Content-Type", "application/json")])
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws(Failure) -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in self.headers { request.headers.add(name: name, value: value) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await HTTPClient.openEnv.execute(request, timeout: TimeAmount(timeout))
            let collected = try await response.body.collect(upTo: Self.maxBody)
            return Response(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw Failure(type: "Timeout", message: "no response within \(timeout)")
        } catch {
            throw Failure(type: String(describing: type(of: error)), message: "\(error)")
        }
    }
}
