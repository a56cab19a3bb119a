import OpenEnvCore

/// One MCP session with a server, carrying JSON-RPC 2.0 messages: a child process over
/// stdio (``StdioTransport``) or a Streamable HTTP endpoint (``HTTPTransport``).
///
/// Requests may run concurrently; each waits at most its own `timeout`. Once the session
/// has ended (the process exited, the server dropped the session, ``close()`` ran), every
/// request fails at once with ``MCPTransportError/unavailable(_:)``.
protocol MCPTransport: Sendable {
    /// Sends a request and returns its `result`.
    func request(_ method: String, params: JSONObject, timeout: Duration) async throws(MCPTransportError) -> JSONValue

    /// Sends a notification (no reply). Failures are logged, never thrown: a notification
    /// that cannot be delivered is followed by a request that fails.
    func notify(_ method: String, params: JSONObject) async

    /// Whether the session can still carry requests.
    var isOpen: Bool { get async }

    /// Ends the session and releases what it holds (kills the process group, deletes the
    /// HTTP session). Idempotent.
    func close() async
}

/// Why a request to a bridged MCP server failed.
enum MCPTransportError: Error, Equatable, CustomStringConvertible {
    /// No reply within the request's timeout; `hint` says what the server did instead,
    /// when it did something (printed non-protocol output, for instance).
    case timedOut(hint: String?)
    /// The server answered with a JSON-RPC error.
    case rpcError(code: Int, message: String)
    /// The session is gone: the process exited, the server ended the session, or it was closed.
    case unavailable(String)
    /// The server answered something that is not the expected JSON-RPC reply.
    case invalidResponse(String)

    var description: String {
        switch self {
        case .timedOut(let hint): "no reply in time" + (hint.map { " (\($0))" } ?? "")
        case .rpcError(let code, let message): "\(message) (JSON-RPC error \(code))"
        case .unavailable(let reason): reason
        case .invalidResponse(let reason): "invalid reply: \(reason)"
        }
    }
}

/// JSON-RPC 2.0 message shapes shared by the transports.
enum JSONRPC {
    static func request(id: Int, method: String, params: JSONObject) -> JSONValue {
        ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": .object(params)]
    }

    static func notification(_ method: String, params: JSONObject) -> JSONValue {
        params.isEmpty ? ["jsonrpc": "2.0", "method": .string(method)]
            : ["jsonrpc": "2.0", "method": .string(method), "params": .object(params)]
    }

    /// The `result` of a response, or the error it carries.
    static func outcome(of response: JSONObject) -> Result<JSONValue, MCPTransportError> {
        if case .object(let error)? = response["error"] {
            let code = error["code"]?.intValue ?? -32603
            return .failure(.rpcError(code: code, message: error["message"]?.stringValue ?? "unknown error"))
        }
        guard let result = response["result"] else {
            return .failure(.invalidResponse("a response with neither result nor error"))
        }
        return .success(result)
    }

    /// A response's id as the integer this client sends, if it is one.
    static func responseID(_ message: JSONObject) -> Int? {
        guard message["method"] == nil, message["result"] != nil || message["error"] != nil else { return nil }
        switch message["id"] {
        case .int(let id)?: return id
        case .double(let d)? where d.rounded() == d: return Int(exactly: d)
        case .string(let s)?: return Int(s)
        default: return nil
        }
    }

    /// A short, printable excerpt of bytes a server sent, for error messages and logs.
    static func excerpt<Bytes: Collection<UInt8>>(_ bytes: Bytes, limit: Int = 120) -> String {
        let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
        let printable = String(text.unicodeScalars.map { $0.value < 0x20 ? " " : Character($0) })
        return bytes.count > limit ? printable + "…" : printable
    }
}
