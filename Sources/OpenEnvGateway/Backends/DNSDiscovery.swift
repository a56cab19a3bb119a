#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--backend-dns NAME:PORT`: the backends are every address `NAME` resolves to (a
/// Kubernetes headless Service resolves to one address per ready pod), resolved again every
/// `interval`; each resolution is the complete set (``BackendPool/replace(with:)``), so a pod
/// that stopped being ready stops getting new sessions and keeps the ones it has.
public struct DNSDiscovery: Sendable {
    let name: String
    let port: Int

    /// Parses `NAME:PORT`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let name = String(text[..<colon])
        guard !name.isEmpty else { return nil }
        self.name = name
        self.port = port
    }

    /// The addresses `name` resolves to now, sorted; `nil` when resolution fails (the set
    /// is then left as it was).
    func resolve() -> [BackendAddress]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        var hosts = Set<String>()
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if let address = entry.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { var a = $0.pointee.sin_addr; _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { var a = $0.pointee.sin6_addr; _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count)) }
                default:
                    break
                }
            }
            let host = String(cString: buffer)
            if !host.isEmpty { hosts.insert(host) }
            cursor = entry.pointee.ai_next
        }
        return hosts.sorted().compactMap { host in
            BackendAddress(url: host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)")
        }
    }
}
