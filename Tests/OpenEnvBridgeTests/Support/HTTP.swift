import AsyncHTTPClient
import NIOCore
import OpenEnvCore

/// Plain JSON over HTTP, for looking at a server from the outside.
enum HTTP {
    static func get(_ url: String) async throws -> JSONValue {
        try await send(HTTPClientRequest(url: url))
    }

    static func post(_ url: String, _ body: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: JSONWriter().bytes(body)))
        return try await send(request)
    }

    private static func send(_ request: HTTPClientRequest) async throws -> JSONValue {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return try JSONParser.parse(Array(body.readableBytesView))
    }
}
