/// Static facts about an environment: what `/metadata` reports, the Task API name, and
/// how many sessions a server should admit by default.
public struct EnvironmentInfo: Sendable, Equatable {
    /// `/metadata` `name` (the reference uses the class name, e.g. `EchoEnvironment`).
    public var name: String
    /// The Task API environment name (e.g. `echo_env`).
    public var envName: String
    public var description: String
    public var version: String?
    public var author: String?
    public var documentationURL: String?
    public var readme: String?
    /// Default session limit of a server hosting this environment. Light in-memory
    /// environments should allow at least 1024; process-backed ones far fewer.
    public var defaultMaxSessions: Int
    /// The declared range of every reward the environment sends (`validation.reward.range`
    /// of an `openenv.yaml`). A reward outside it is never sent: the reset or step fails
    /// with a ``RewardError`` (`EXECUTION_ERROR` on `/ws`). `nil`: no range is enforced;
    /// non-finite rewards are refused either way.
    public var rewardRange: ClosedRange<Double>?

    public init(
        name: String, envName: String, description: String, version: String? = "1.0.0", author: String? = nil,
        documentationURL: String? = nil, readme: String? = nil, defaultMaxSessions: Int = 1024,
        rewardRange: ClosedRange<Double>? = nil
    ) {
        self.name = name
        self.envName = envName
        self.description = description
        self.version = version
        self.author = author
        self.documentationURL = documentationURL
        self.readme = readme
        self.defaultMaxSessions = defaultMaxSessions
        self.rewardRange = rewardRange
    }

    /// The six keys of `GET /metadata`, always present.
    public var metadataJSON: JSONValue {
        ["name": .string(name), "description": .string(description), "readme_content": readme.map(JSONValue.string) ?? nil,
         "version": version.map(JSONValue.string) ?? nil, "author": author.map(JSONValue.string) ?? nil,
         "documentation_url": documentationURL.map(JSONValue.string) ?? nil]
    }
}
