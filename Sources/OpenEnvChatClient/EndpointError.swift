/// Why a call to a scoring endpoint (LLM judge, reward service) produced no score.
/// Descriptions name the URL but never a credential.
public indirect enum EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The attempt did not finish within ``RequestPolicy/timeout``.
    case timedOut(url: String, after: Duration)
    /// No connection, or the connection broke before a reply.
    case unreachable(url: String, reason: String)
    /// The endpoint answered with a non-2xx status; `body` is the start of its body.
    case status(url: String, code: Int, body: String)
    /// A 2xx reply that does not follow the endpoint's contract.
    case invalidReply(url: String, reason: String)
    /// A URL or setting that cannot work (not retried).
    case invalidConfiguration(String)
    /// Every allowed attempt failed; `last` is the final failure.
    case gaveUp(attempts: Int, last: EndpointError)

    /// Transient failures, worth another attempt.
    var isRetryable: Bool {
        switch self {
        case .timedOut, .unreachable: true
        case .status(_, let code, _): [408, 425, 429, 500, 502, 503, 504].contains(code)
        default: false
        }
    }

    public var description: String {
        switch self {
        case .timedOut(let url, let after): "POST \(url) timed out after \(after)"
        case .unreachable(let url, let reason): "POST \(url) failed: \(reason)"
        case .status(let url, let code, let body): "POST \(url) answered HTTP \(code)\(body.isEmpty ? "" : ": \(body)")"
        case .invalidReply(let url, let reason): "POST \(url) gave an invalid reply: \(reason)"
        case .invalidConfiguration(let what): what
        case .gaveUp(let attempts, let last): "\(last) (gave up after \(attempts) attempts)"
        }
    }
}
