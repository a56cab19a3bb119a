import OpenEnvClient
import OpenEnvCore

/// What a policy sees before choosing an action.
public struct PolicyInput: Sendable {
    public var episodeID: String
    /// Steps taken so far in this episode.
    public var step: Int
    public var observation: JSONObject
    public var reward: Reward?
    public var done: Bool

    public init(episodeID: String, step: Int, observation: JSONObject, reward: Reward?, done: Bool) {
        self.episodeID = episodeID
        self.step = step
        self.observation = observation
        self.reward = reward
        self.done = done
    }
}

/// Chooses actions for one episode at a time. A collector makes one policy instance per
/// concurrent worker (``PolicyFactory``), so instances need not be shareable.
public protocol Policy: Sendable {
    /// Called once before each episode's first step.
    func beginEpisode(_ episodeID: String, seed: Int?) async throws
    /// The next action, or `nil` to end the episode early.
    func act(_ input: PolicyInput) async throws -> JSONValue?
    /// What the policy recorded about the episode, merged into its JSON line (e.g. the
    /// real conversation as `messages`). Called once after each episode, whatever ended it,
    /// with the last observation (`nil` when the reset failed).
    func episodeRecord(final input: PolicyInput?) async -> JSONObject
    /// Called once after each episode, after ``episodeRecord(final:)``.
    func endEpisode() async
}

extension Policy {
    public func beginEpisode(_ episodeID: String, seed: Int?) async throws {}
    public func episodeRecord(final input: PolicyInput?) async -> JSONObject { [:] }
    public func endEpisode() async {}
}

/// Makes one policy per worker, knowing the environment's published schemas and tools.
public typealias PolicyFactory = @Sendable (_ environment: EnvironmentDescription, _ worker: Int) async throws -> any Policy

/// What a collector learned about the environment before starting.
public struct EnvironmentDescription: Sendable {
    /// `/schema`'s action schema.
    public var actionSchema: JSONValue
    /// The tools, for MCP environments (from `tools/list`); empty otherwise.
    public var tools: [ToolInfo]

    public init(actionSchema: JSONValue, tools: [ToolInfo]) {
        self.actionSchema = actionSchema
        self.tools = tools
    }

    /// Whether actions are MCP tool calls (the action schema is `CallToolAction`'s).
    public var isMCP: Bool { actionSchema["title"] == "CallToolAction" || actionSchema["properties"]?["tool_name"] != nil }
}
