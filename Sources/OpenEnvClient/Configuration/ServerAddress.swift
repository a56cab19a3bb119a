/// Where a server is, and the URLs derived from it (spec §6.1).
///
/// Built from a base URL as users write it: `http://localhost:8000`,
/// `https://openenv-echo-env.hf.space/`, `localhost:8000`, `ws://h:1/prefix`. A trailing
/// `/` is dropped; a path prefix is kept; a query string or fragment is dropped.
///
/// | base | WebSocket | HTTP |
/// |---|---|---|
/// | `http://h:8000` | `ws://h:8000/ws` | `http://h:8000/…` |
/// | `https://h` | `wss://h/ws` | `https://h/…` |
/// | `h:8000` (no scheme) | `ws://h:8000/ws` | `http://h:8000/…` |
/// | `ws://h/p` | `ws://h/p/ws` | `http://h/p/…` |
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// Whether the connection uses TLS (`https`/`wss`).
    public let isSecure: Bool
    /// `host[:port][/path]`, without a trailing `/`.
    public let authorityAndPath: String

    /// Parses a base URL. Throws ``OpenEnvError/invalidURL(_:)`` for an empty host or a
    /// scheme other than `http`, `https`, `ws`, `wss`.
    public init(_ baseURL: String) throws(OpenEnvError) {
        var rest = baseURL.drop(while: \.isWhitespace)
        while rest.last?.isWhitespace == true { rest = rest.dropLast() }
        var secure = false
        if let range = rest.firstRange(of: "://") {
            switch rest[..<range.lowerBound].lowercased() {
            case "http", "ws": secure = false
            case "https", "wss": secure = true
            default: throw .invalidURL(baseURL)
            }
            rest = rest[range.upperBound...]
        }
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let host = rest.split(separator: "/", omittingEmptySubsequences: false).first, !host.isEmpty else {
            throw .invalidURL(baseURL)
        }
        isSecure = secure
        authorityAndPath = String(rest)
    }

    /// The HTTP base URL: `http(s)://host[:port][/path]`.
    public var httpBase: String { (isSecure ? "https://" : "http://") + authorityAndPath }

    /// The URL of an HTTP route, e.g. `url(path: "/health")`.
    public func url(path: String) -> String { httpBase + path }

    /// The session WebSocket: `ws(s)://host[:port][/path]/ws`.
    public var webSocketURL: String { (isSecure ? "wss://" : "ws://") + authorityAndPath + "/ws" }

    /// The WebSocket that attaches to an existing session: `…/ws?session_id=<id>`.
    public func webSocketURL(attachingTo sessionID: String) -> String {
        webSocketURL + "?session_id=" + Self.percentEncoded(sessionID)
    }

    public var description: String { httpBase }

    /// Percent-encodes everything outside RFC 3986's unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}
