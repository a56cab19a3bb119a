import Hummingbird
import NIOCore
import OpenEnvCore

extension Response {
    /// A compact JSON response, as the reference's FastAPI writes them.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = JSONWriter(style: .compact).bytes(value)
        return Response(
            status: status, headers: [.contentType: "application/json", .contentLength: String(bytes.count)],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// FastAPI's error body: `{"detail": …}`.
    static func detail(_ detail: JSONValue, status: HTTPResponse.Status) -> Response { json(["detail": detail], status: status) }

    /// A 422 with pydantic issues.
    static func unprocessable(_ issues: [ValidationIssue], includeURL: Bool = false) -> Response {
        detail(.array(issues.map { $0.json(includeURL: includeURL) }), status: .unprocessableContent)
    }
}
