import Logging
import NIOHTTP1
import OpenEnvCore

/// Who may use which route, applied to every HTTP request and WebSocket upgrade before it
/// reaches a route or a session (``ServerConfiguration/accessTokens``,
/// ``ServerConfiguration/corsAllowedOrigins``).
///
/// - Without tokens every request passes, as before this existed.
/// - With tokens, every path except ``openPaths`` needs `Authorization: Bearer <token>`;
///   a request without one gets `401 {"detail":"Not authenticated"}`, a wrong one
///   `401 {"detail":"Invalid token"}`, both with `WWW-Authenticate: Bearer`. A WebSocket
///   upgrade is checked the same way before it is accepted, so a refused socket never
///   reaches an endpoint and never creates a session. A browser cannot set that header on
///   a WebSocket, so an upgrade may instead offer the subprotocol
///   `openenv.bearer.<token as lowercase hex>` next to `openenv` (``webSocketToken(in:)``);
///   the server then answers with `openenv` (docs/security.md).
/// - With the web page on (``ServerConfiguration/webInterface``), `/`, `/web` and `/web/`
///   are open too: the page holds nothing of the environment and asks for a token before
///   it calls any other route.
/// - With allowed origins, a browser's preflight (`OPTIONS` with `Origin` and
///   `Access-Control-Request-Method`) is answered before authentication (browsers send no
///   credentials on it), and responses to an allowed `Origin` carry
///   `Access-Control-Allow-Origin`. Without allowed origins no CORS header is ever sent.
///
/// Immutable; used from every event loop.
package struct AccessGate: Sendable {
    let tokens: AccessTokens?
    let corsOrigins: Set<String>
    /// Paths served without a token: `/health` and `/ready` always (probes of load
    /// balancers and orchestrators carry no credentials), `/metrics` when configured public.
    let openPaths: Set<String>
    let metrics: ServerMetrics?
    let logger: Logger

    init(configuration: ServerConfiguration, metrics: ServerMetrics?, logger: Logger) {
        tokens = configuration.accessTokens
        corsOrigins = Set(configuration.corsAllowedOrigins)
        var open: Set<String> = ["/health", "/ready"]
        if !configuration.metricsRequireToken { open.insert("/metrics") }
        if configuration.webInterface { open.formUnion(WebRoutes.openPaths) }
        openPaths = open
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the gate changes anything at all (else the connection skips it).
    var isActive: Bool { tokens != nil || !corsOrigins.isEmpty }

    enum Decision {
        case allow(AccessPrincipal?)
        case refuse(HTTPResponse)
    }

    /// Authenticates a request (HTTP or WebSocket upgrade) by its path and headers; with
    /// `record`, a refusal is counted and logged (the upgrade check does not record: a
    /// refused upgrade goes on to the HTTP handler, which refuses it again and records it).
    func authorize(path: String, headers: HTTPHeaders, webSocket: Bool, record: Bool = true) -> Decision {
        guard let tokens else { return .allow(nil) }
        let bare = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        if openPaths.contains(bare) { return .allow(nil) }
        let presented =
            headers["authorization"].lazy.compactMap { AccessTokens.bearerToken(in: Substring($0)) }.first
            ?? (webSocket ? Self.webSocketToken(in: headers).map { Substring(String(decoding: $0, as: UTF8.self)) } : nil)
        guard let presented else {
            if record { refused(path: bare, webSocket: webSocket, reason: "missing") }
            return .refuse(Self.unauthorized("Not authenticated", challenge: #"Bearer realm="openenv""#))
        }
        guard let principal = tokens.principal(presenting: presented.utf8) else {
            if record { refused(path: bare, webSocket: webSocket, reason: "invalid") }
            return .refuse(Self.unauthorized("Invalid token", challenge: #"Bearer realm="openenv", error="invalid_token""#))
        }
        return .allow(principal)
    }

    /// The subprotocol a browser page offers next to its bearer token, and the one the server
    /// answers with when it was offered.
    static let webSocketProtocol = "openenv"
    private static let tokenProtocolPrefix = "openenv.bearer."

    /// The token a WebSocket upgrade carries as the subprotocol `openenv.bearer.<hex>` (the
    /// token's bytes as hex digits, since a subprotocol name allows few characters), or `nil`.
    static func webSocketToken(in headers: HTTPHeaders) -> [UInt8]? {
        for value in headers["sec-websocket-protocol"] {
            for name in value.split(separator: ",") {
                let trimmed = name.trimmingSpaces
                guard trimmed.hasPrefix(tokenProtocolPrefix) else { continue }
                let hex = Array(trimmed.dropFirst(tokenProtocolPrefix.count).utf8)
                guard !hex.isEmpty, hex.count.isMultiple(of: 2), hex.count <= 2048 else { return nil }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(hex.count / 2)
                var index = 0
                while index < hex.count {
                    guard let high = hexDigit(hex[index]), let low = hexDigit(hex[index + 1]) else { return nil }
                    bytes.append(high << 4 | low)
                    index += 2
                }
                return bytes
            }
        }
        return nil
    }

    /// Whether an upgrade offered ``webSocketProtocol`` (the answer must then name it, or a
    /// browser drops the socket).
    static func offersWebSocketProtocol(_ headers: HTTPHeaders) -> Bool {
        headers["sec-websocket-protocol"].contains { $0.split(separator: ",").contains { $0.trimmingSpaces == webSocketProtocol } }
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func refused(path: String, webSocket: Bool, reason: String) {
        metrics?.unauthorized(webSocket: webSocket)
        // Never the header's value: only that it was missing or did not match.
        logger.debug("refused unauthenticated request", metadata: ["path": "\(path)", "credentials": "\(reason)"])
    }

    static func unauthorized(_ detail: String, challenge: String) -> HTTPResponse {
        var response = HTTPResponse.detail(.string(detail), status: .unauthorized)
        response.headers.append(("www-authenticate", challenge))
        return response
    }

    /// The answer to a CORS preflight, or `nil` when `head` is none (or CORS is off).
    func preflight(_ head: HTTPRequestHead) -> HTTPResponse? {
        guard !corsOrigins.isEmpty, head.method == .OPTIONS, let origin = head.headers.first(name: "origin"),
            head.headers.first(name: "access-control-request-method") != nil
        else { return nil }
        guard allows(origin: origin) else {
            return .detail("Origin not allowed", status: .forbidden)
        }
        var response = HTTPResponse(status: .noContent, contentType: "text/plain", body: [])
        response.headers = corsHeaders(origin: origin) + [
            ("access-control-allow-methods", "GET, POST, DELETE, OPTIONS"),
            ("access-control-allow-headers", head.headers.first(name: "access-control-request-headers") ?? "authorization, content-type"),
            ("access-control-max-age", "600"),
        ]
        return response
    }

    /// The CORS headers of a response to a request from `origin` (none unless allowed).
    func corsHeaders(for head: HTTPRequestHead) -> [(String, String)] {
        guard !corsOrigins.isEmpty, let origin = head.headers.first(name: "origin"), allows(origin: origin) else { return [] }
        return corsHeaders(origin: origin)
    }

    private func allows(origin: String) -> Bool { corsOrigins.contains(origin) || corsOrigins.contains("*") }

    private func corsHeaders(origin: String) -> [(String, String)] {
        [("access-control-allow-origin", origin), ("vary", "Origin"), ("access-control-expose-headers", "mcp-session-id, www-authenticate")]
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var value = drop(while: { $0 == " " || $0 == "\t" })
        while value.last == " " || value.last == "\t" { value = value.dropLast() }
        return value
    }
}
