import OpenEnvCore

/// Why a session could not be created, found, attached or closed. Each case maps to the
/// reference's wire error for the transport at hand.
enum SessionError: Error, Sendable, Equatable, CustomStringConvertible {
    case capacityReached(active: Int, max: Int)
    /// The request's token holds its own limit of sessions (``AccessPrincipal/maxSessions``);
    /// on the wire it is a capacity refusal, so clients treat it alike.
    case quotaReached(token: String, active: Int, max: Int)
    case factoryFailed(factoryName: String)
    case unknownSession(String)
    case initializing(String)
    case alreadyAttached(String)
    /// The session belongs to another WebSocket (the reference allows this; we refuse).
    case ownedByAnotherSocket(String)
    case closed(String)
    /// A call ran past the server's step deadline; the session was closed.
    case deadlineExceeded(seconds: String)

    var description: String {
        switch self {
        case .capacityReached(let active, let max):
            "Server at capacity: \(active)/\(max) sessions active. Cannot accept new connections."
        case .quotaReached(let token, let active, let max):
            "Token '\(token)' at its limit: \(active)/\(max) sessions active. Cannot accept new connections."
        case .factoryFailed(let name): "Environment factory '\(name)' failed to create instance."
        case .unknownSession(let id): "Unknown session_id: \(id)"
        case .initializing(let id): "Session \(id) is still initializing"
        case .alreadyAttached(let id): "Session \(id) already has an attached WebSocket"
        case .ownedByAnotherSocket(let id): "Session \(id) is owned by another WebSocket and cannot be attached or closed"
        case .closed(let id): "Session \(id) is closed"
        case .deadlineExceeded(let s):
            "The call exceeded the server's step deadline of \(s) seconds; the session was closed"
        }
    }

    /// Extra keys of the error payload (`active_sessions`/`max_sessions`, `factory_name`).
    var extraFields: JSONObject {
        switch self {
        case .capacityReached(let active, let max), .quotaReached(_, let active, let max):
            ["active_sessions": .int(active), "max_sessions": .int(max)]
        case .factoryFailed(let name): ["factory_name": .string(name)]
        default: [:]
        }
    }
}
