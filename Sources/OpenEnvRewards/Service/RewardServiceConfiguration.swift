import OpenEnvChatClient
/// Where a ``RewardService`` posts and how.
public struct RewardServiceConfiguration: Sendable, Equatable {
    /// The full URL that takes the POST, e.g. `http://127.0.0.1:9000/score`.
    public var url: String
    /// Sent as `Authorization: Bearer <token>`; never put in errors.
    public var bearerToken: String?
    /// Extra request headers.
    public var headers: [String: String]
    public var policy: RequestPolicy

    public init(url: String, bearerToken: String? = nil, headers: [String: String] = [:], policy: RequestPolicy = RequestPolicy()) {
        self.url = url
        self.bearerToken = bearerToken
        self.headers = headers
        self.policy = policy
    }
}
