/// One backend as registered: an `http://host:port` URL and an id (the URL when none given).
///
/// Two registrations are the same backend only when both id and URL match: a fleet server
/// restarted on a new port is a new backend, and the old one's sessions stay failed.
public struct BackendAddress: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    public var host: String
    public var port: Int

    public var url: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }
    public var description: String { id == url ? url : "\(id) (\(url))" }

    /// Parses `http://host:port` (a trailing `/` allowed); `nil` for anything else (no TLS,
    /// no path prefix: backends are OpenEnv servers on a private network).
    public init?(url: String, id: String? = nil) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else { return nil }
        rest = rest.dropFirst("http://".count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let host: Substring
        let port: Int
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {  // [::1]:8000
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { return nil }
            port = p
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let p = Int(parts[1]) else { return nil }
            host = parts[0]
            port = p
        }
        guard !host.isEmpty, !host.contains("/"), (1...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
        self.id = id.flatMap { $0.isEmpty ? nil : $0 } ?? "http://\(host.contains(":") ? "[\(host)]" : String(host)):\(port)"
    }
}
