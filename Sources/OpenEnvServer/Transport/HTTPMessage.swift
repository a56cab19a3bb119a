import NIOCore
import NIOHTTP1
import OpenEnvCore

/// An HTTP request with its whole body, as the router sees it.
package struct HTTPRequest: Sendable {
    package var method: HTTPMethod
    /// The path without the query string.
    package var path: String
    /// The path and query as the client sent them.
    package var uri: String
    package var query: [String: String]
    package var headers: HTTPHeaders
    package var body: [UInt8]
    /// Who the request authenticated as (``AccessGate``); `nil` without tokens configured.
    var principal: AccessPrincipal?

    package init(head: HTTPRequestHead, body: [UInt8], principal: AccessPrincipal? = nil) {
        self.principal = principal
        method = head.method
        headers = head.headers
        self.body = body
        let uri = head.uri
        self.uri = uri
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = Self.parseQuery(uri[uri.index(after: mark)...])
        } else {
            path = uri
            query = [:]
        }
    }

    static func parseQuery(_ text: Substring) -> [String: String] {
        var query: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let raw = parts.count > 1 ? String(parts[1].map { $0 == "+" ? " " : $0 }) : ""
            let value = raw.removingPercentEncoding ?? raw
            query[key] = value
        }
        return query
    }
}

/// A complete HTTP response.
package struct HTTPResponse: Sendable {
    package var status: HTTPResponseStatus
    package var contentType: String
    package var body: [UInt8]
    /// Headers beyond content type and length.
    package var headers: [(String, String)] = []

    package init(status: HTTPResponseStatus, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A compact JSON response, as the reference's FastAPI writes them.
    package static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: JSONWriter(style: .compact).bytes(value))
    }

    /// FastAPI's error body: `{"detail": …}`.
    package static func detail(_ detail: JSONValue, status: HTTPResponseStatus) -> HTTPResponse { json(["detail": detail], status: status) }

    /// A 422 with pydantic issues.
    static func unprocessable(_ issues: [ValidationIssue], includeURL: Bool = false) -> HTTPResponse {
        detail(.array(issues.map { $0.json(includeURL: includeURL) }), status: .unprocessableEntity)
    }
}

extension String {
    /// Percent-decoding without Foundation.
    var removingPercentEncoding: String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
