import NIOHTTP1

/// Maps method and path to a handler; answers unknown paths `404 {"detail":"Not Found"}` and
/// known paths with another method `405 {"detail":"Method Not Allowed"}`, as FastAPI does.
///
/// Paths are exact, or `/{name}/suffix` patterns whose first segment is a parameter.
package struct HTTPRouter: Sendable {
    /// How a route answers: a precomputed response needs no task.
    package enum Handler: Sendable {
        case constant(HTTPResponse)
        case dynamic(@Sendable (HTTPRequest, [String: String]) async -> HTTPResponse)
    }

    private struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Substring]
        var handler: Handler
    }

    private var routes: [Route] = []
    /// Answers requests no route matches (a proxy forwards them); `nil`: 404 as FastAPI.
    package var fallback: Handler?

    package init() {}

    package mutating func add(_ method: HTTPMethod, _ path: String, _ handler: Handler) {
        routes.append(Route(method: method, segments: path.split(separator: "/", omittingEmptySubsequences: false), handler: handler))
    }

    package mutating func get(_ path: String, _ body: @escaping @Sendable (HTTPRequest, [String: String]) async -> HTTPResponse) {
        add(.GET, path, .dynamic(body))
    }

    package mutating func post(_ path: String, _ body: @escaping @Sendable (HTTPRequest, [String: String]) async -> HTTPResponse) {
        add(.POST, path, .dynamic(body))
    }

    /// Declares `path` as served for `GET` by another layer (the WebSocket upgrade), so
    /// other methods there get 405.
    mutating func reserve(_ path: String) {
        add(.GET, path, .constant(.detail("Not Found", status: .notFound)))
    }

    /// The handler for a request and the path parameters it matched.
    package func route(_ method: HTTPMethod, _ path: String) -> (Handler, [String: String]) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var pathMatched = false
        for route in routes {
            guard let parameters = Self.match(route.segments, segments) else { continue }
            pathMatched = true
            if route.method == method { return (route.handler, parameters) }
        }
        if pathMatched { return (.constant(.detail("Method Not Allowed", status: .methodNotAllowed)), [:]) }
        return (fallback ?? .constant(.detail("Not Found", status: .notFound)), [:])
    }

    private static func match(_ pattern: [Substring], _ segments: [Substring]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (p, s) in zip(pattern, segments) {
            if p.hasPrefix("{") && p.hasSuffix("}") {
                guard !s.isEmpty else { return nil }
                parameters[String(p.dropFirst().dropLast())] = String(s).removingPercentEncoding ?? String(s)
            } else if p != s {
                return nil
            }
        }
        return parameters
    }
}
