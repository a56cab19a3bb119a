import OpenEnvCore

/// Everything a client call can fail with. Session calls (`reset`, `step`, `state`,
/// tools) throw only this type; starting servers adds ``ProviderError``.
///
/// Losing a session is always reported, never papered over: unlike the reference Python
/// client, which silently opens a new session (and a fresh environment) on the next
/// call, a client here keeps failing with ``sessionLost(_:)`` until the caller asks for
/// a fresh session (`reconnectToFreshSession`).
public enum OpenEnvError: Error, Sendable, CustomStringConvertible {
    /// The server refused the request with an `error` reply; the session usually survives
    /// (`VALIDATION_ERROR`, `EXECUTION_ERROR`…), except for the codes the server sends
    /// before closing (`CAPACITY_REACHED`, `FACTORY_ERROR`, `SESSION_ERROR`), after which
    /// the next call reports ``sessionLost(_:)``.
    case server(ServerError)
    /// `POST /mcp` answered with a JSON-RPC error.
    case rpc(RPCError)
    /// An HTTP route answered with a status other than 2xx. `body` is the JSON body
    /// (FastAPI's `{"detail": …}`), or the text as a string when it is not JSON.
    case httpStatus(Int, body: JSONValue)
    /// The server session is gone, and with it the episode. See ``SessionLossReason``.
    case sessionLost(SessionLossReason)
    /// No connection could be made (refused, TLS, handshake, or the connect timeout).
    case connectionFailed(url: String, reason: String)
    /// No reply came within the reply timeout. The connection was dropped (a late reply
    /// could not be told apart from the next one), so the session is lost too.
    case replyTimeout(Duration)
    /// The request is larger than the client's outgoing limit (below the server's 16 MiB).
    /// Nothing was sent; the session is intact.
    case messageTooLarge(size: Int, limit: Int)
    /// A tool call made through `step` came back with a typed tool error.
    case tool(ToolError)
    /// The action could not be encoded to JSON.
    case encoding(String)
    /// A reply did not have the protocol's shape, or did not decode into the client's
    /// types. Carries the reason and the offending JSON.
    case unexpectedReply(String, JSONValue)
    /// `step` was called on a fresh session obtained by `reconnectToFreshSession` before
    /// `reset`: the previous episode did not survive, so continuing it is refused.
    case resetRequired
    /// The base URL could not be used.
    case invalidURL(String)
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case .server(let error): error.description
        case .rpc(let error): error.description
        case .httpStatus(let status, let body): "HTTP \(status): \(body)"
        case .sessionLost(let reason): "Session lost: \(reason). The episode did not survive; reconnect to a fresh session to go on."
        case .connectionFailed(let url, let reason): "Failed to connect to \(url): \(reason)"
        case .replyTimeout(let timeout): "No reply within \(timeout); the connection was dropped"
        case .messageTooLarge(let size, let limit): "Message of \(size) bytes exceeds the \(limit)-byte limit; nothing was sent"
        case .tool(let error): "Tool failed: \(error.message) (type: \(error.errorType.rawValue))"
        case .encoding(let reason): "Could not encode the action: \(reason)"
        case .unexpectedReply(let reason, let reply): "Unexpected reply (\(reason)): \(reply)"
        case .resetRequired: "This is a fresh session: call reset() before step(); the previous episode is gone"
        case .invalidURL(let url): "Invalid base URL: \(url)"
        case .closed: "The client is closed"
        }
    }
}

/// Why a session was lost.
public enum SessionLossReason: Sendable, Equatable, CustomStringConvertible {
    /// The server closed the connection (close code when it sent one). This is also how a
    /// server says goodbye after `CAPACITY_REACHED`, `SESSION_ERROR` or a shutdown.
    case closedByServer(code: Int?)
    /// The connection broke: reset, end of stream, TLS failure, missed pings.
    case connectionError(String)
    /// A reply did not come within the timeout and the connection was dropped.
    case replyTimeout(Duration)
    /// A request was cancelled while waiting for its reply and the connection was dropped.
    case cancelled
    /// The server does not know the session id any more (HTTP sessions: reaped or closed).
    case unknownSession(String)
    /// The client gave the session up to connect a fresh one
    /// (`reconnectToFreshSession`), and has no new session (yet, or because every
    /// attempt failed).
    case abandoned

    public var description: String {
        switch self {
        case .closedByServer(let code): "the server closed the connection" + (code.map { " (code \($0))" } ?? "")
        case .connectionError(let reason): "the connection broke: \(reason)"
        case .replyTimeout(let timeout): "no reply within \(timeout)"
        case .cancelled: "a request was cancelled while waiting for its reply"
        case .unknownSession(let id): "the server does not know session \(id)"
        case .abandoned: "the client gave it up for a fresh session and is not connected to one"
        }
    }
}
