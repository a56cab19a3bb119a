/// What `reset` and `step` return: an observation plus the reward, the end-of-episode
/// flag and free-form metadata, which the wire carries next to the observation.
public struct StepResult<Observation: Sendable>: Sendable {
    public var observation: Observation
    /// `nil` means "no reward" (`null` on the wire).
    public var reward: Reward?
    public var done: Bool
    /// Delivered inside the observation and, when non-empty, at the top level of the reply.
    public var metadata: JSONObject

    public init(_ observation: Observation, reward: Reward? = nil, done: Bool = false, metadata: JSONObject = [:]) {
        self.observation = observation
        self.reward = reward
        self.done = done
        self.metadata = metadata
    }
}

/// An observation with no fields of its own (only the standard reward/done/metadata).
public struct EmptyObservation: Codable, Sendable, JSONSchemaDescribed {
    public init() {}
    public static var schemaTitle: String { "Observation" }
    public static var schemaDescription: String? { "Base class for all environment observations." }
}
