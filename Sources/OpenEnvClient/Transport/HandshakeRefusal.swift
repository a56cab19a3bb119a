import AsyncHTTPClient
import NIOCore
import OpenEnvCore
import OpenEnvHTTP

/// Why a server declined a WebSocket handshake, when it was for want of a valid token.
///
/// A WebSocket client sees only that the upgrade failed, not the status or body of the
/// answer; a server with tokens (`--auth-token-file`) answers the upgrade with `401`
/// and `{"detail": "Not authenticated"}` or `"Invalid token"`. After a failed handshake the
/// client asks once more over plain HTTP, with the same headers, and reports that answer.
enum HandshakeRefusal {
    /// `.httpStatus(401 or 403, body: …)` when a plain `GET` of `url` (with `ws` and `wss`
    /// read as `http` and `https`) is refused for authentication within `connectTimeout`;
    /// `nil` otherwise (the handshake's own error then stands).
    static func probe(_ url: String, configuration: ClientConfiguration) async -> OpenEnvError? {
        let httpURL: String
        if url.hasPrefix("wss://") {
            httpURL = "https://" + url.dropFirst(6)
        } else if url.hasPrefix("ws://") {
            httpURL = "http://" + url.dropFirst(5)
        } else {
            return nil
        }
        var request = HTTPClientRequest(url: httpURL)
        request.tlsConfiguration = configuration.tlsConfiguration
        for (name, value) in configuration.headers { request.headers.add(name: name, value: value) }
        guard let response = try? await HTTPClient.openEnv.execute(request, timeout: TimeAmount(configuration.connectTimeout)),
            response.status.code == 401 || response.status.code == 403
        else { return nil }
        let bytes = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) } ?? []
        let body = (try? JSONParser.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
        return .httpStatus(Int(response.status.code), body: body)
    }
}
