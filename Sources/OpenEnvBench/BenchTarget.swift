/// Where a benchmark sends its load: a loopback OpenEnv server.
public struct BenchTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Path prefix before `/ws`, `/reset`… (usually empty).
    public var basePath: String
    /// Sent as `Authorization: Bearer <token>` on every request and WebSocket upgrade, for
    /// servers started with `--auth-token-file`.
    public var bearerToken: String?

    /// Parses `http://HOST:PORT[/prefix]` (or `ws://…`). Only loopback hosts are accepted:
    /// the benchmark is a load generator and must never point at another machine.
    public init(url: String) throws(BenchError) {
        var rest = Substring(url)
        for scheme in ["http://", "ws://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if rest.hasPrefix("https://") || rest.hasPrefix("wss://") { throw .invalidURL(url, "TLS targets are not supported") }
        let hostPort = rest.prefix { $0 != "/" }
        basePath = String(rest.dropFirst(hostPort.count))
        while basePath.hasSuffix("/") { basePath.removeLast() }
        let parts = hostPort.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else {
            throw .invalidURL(url, "expected http://HOST:PORT")
        }
        host = String(parts[0])
        self.port = port
        guard Self.isLoopback(host) else { throw .invalidURL(url, "only loopback targets (127.0.0.0/8, localhost, ::1) are allowed") }
    }

    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".")
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Why a benchmark could not run.
public enum BenchError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String, String)
    case connectFailed(String)
    case badResponse(String)
    case noAction(String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let why): "invalid target \(url): \(why)"
        case .connectFailed(let why): "could not connect: \(why)"
        case .badResponse(let why): "unexpected response: \(why)"
        case .noAction(let why): "cannot build a default action: \(why); pass --action"
        }
    }
}
