import Foundation
import OpenEnvCore

/// The server being validated: its URLs and the probes that reach it.
struct ServerUnderTest: Sendable {
    /// `http(s)://host[:port][/path]`, without a trailing `/`.
    let baseURL: String
    let webSocketURL: String
    let http: HTTPProbe
    /// Bound on each request and each awaited frame.
    let timeout: Duration
    /// Sent on every request and WebSocket handshake (``ValidationOptions/headers``).
    let headers: [String: String]

    /// Normalizes a URL as the reference does (spec §9.4): trimmed, `http://` added when
    /// there is no scheme, a trailing `/` dropped; scheme and host required.
    init(url: String, timeout: Duration, headers: [String: String] = [:]) throws(URLError) {
        self.headers = headers
        var target = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !target.isEmpty else { throw URLError(description: "Runtime URL cannot be empty") }
        if !target.contains("://") { target = "http://" + target }
        let parts = target.split(separator: "://", maxSplits: 1).map(String.init)
        let scheme = parts[0].lowercased()
        let rest = parts.count > 1 ? parts[1] : ""
        let host = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard ["http", "https"].contains(scheme), !host.isEmpty, !host.hasPrefix(":") else { throw URLError(description: "Invalid runtime URL: \(url)") }
        while target.hasSuffix("/") { target.removeLast() }
        baseURL = target
        webSocketURL = (scheme == "https" ? "wss://" : "ws://") + String(target.dropFirst(scheme.count + 3)) + "/ws"
        http = HTTPProbe(baseURL: target, timeout: timeout, headers: headers)
        self.timeout = timeout
    }

    struct URLError: Error, Sendable, CustomStringConvertible { var description: String }

    /// A new `/ws` session.
    func openSession() async throws -> ProbeSocket {
        try await ProbeSocket.connect(webSocketURL, timeout: timeout, headers: headers)
    }

    /// `GET /ready` of a swift-openenv server: its session count and limit; `nil` for servers
    /// without the route (the Python reference).
    func readiness() async -> (active: Int, limit: Int)? {
        guard let response = try? await http.get("/ready"), response.status == 200 || response.status == 503,
            let body = response.json, let active = body["active_sessions"]?.intValue, let limit = body["max_sessions"]?.intValue
        else { return nil }
        return (active, limit)
    }

    /// `GET /schema` as an object, or a description of why it is not one.
    func schema() async -> Result<JSONObject, SchemaUnavailable> {
        do {
            let response = try await http.get("/schema", headers: [("Accept-Encoding", "identity")])
            guard response.status == 200 else { return .failure(SchemaUnavailable(description: "GET /schema answered \(response.status)")) }
            if let encoding = response.headers.first(name: "Content-Encoding"), encoding.lowercased() != "identity" {
                return .failure(SchemaUnavailable(description: "GET /schema sent a compressed body (\(encoding))"))
            }
            guard response.body.count <= 1024 * 1024 else { return .failure(SchemaUnavailable(description: "GET /schema is larger than 1 MiB")) }
            guard let object = response.json?.objectValue else { return .failure(SchemaUnavailable(description: "GET /schema is not a JSON object")) }
            return .success(object)
        } catch {
            return .failure(SchemaUnavailable(description: error.description))
        }
    }

    struct SchemaUnavailable: Error, Sendable, CustomStringConvertible { var description: String }
}

extension ServerUnderTest {
    /// Runs `body` with a new `/ws` session and closes it afterwards (also when `body` throws).
    func withSession<T>(_ body: (ProbeSocket) async throws -> T) async throws -> T {
        let socket = try await openSession()
        do {
            let result = try await body(socket)
            await socket.close()
            return result
        } catch {
            await socket.close()
            throw error
        }
    }

    /// Waits (up to 5 s) until `GET /ready` reports at most `active` sessions, so checks
    /// that follow find the slots of closed sessions free again; servers without `/ready`
    /// get a short pause. Returns the last count seen, `nil` without `/ready`.
    @discardableResult
    func settle(toAtMost active: Int) async -> Int? {
        var last: Int?
        for _ in 0..<50 {
            guard let ready = await readiness() else {
                try? await Task.sleep(for: .milliseconds(300))
                return nil
            }
            last = ready.active
            if ready.active <= active { return last }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return last
    }
}
