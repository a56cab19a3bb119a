/// An observation as the wire carries it, before transport-specific shaping.
///
/// `observation` holds the observation's fields with `metadata` first (as the reference
/// dumps it); `reward` and `done` travel beside it.
public struct WireObservation: Sendable, Equatable {
    public var observation: JSONObject
    public var reward: Reward?
    public var done: Bool
    public var metadata: JSONObject

    public init(observation: JSONObject, reward: Reward?, done: Bool, metadata: JSONObject) {
        self.observation = observation
        self.reward = reward
        self.done = done
        self.metadata = metadata
    }

    /// The `/ws` `observation` payload: reward as produced, top-level `metadata` only when
    /// non-empty.
    public var webSocketPayload: JSONValue {
        var payload: JSONObject = ["observation": .object(observation), "reward": reward?.jsonValue ?? .null, "done": .bool(done)]
        if !metadata.isEmpty { payload["metadata"] = .object(metadata) }
        return .object(payload)
    }

    /// The HTTP `/reset` and `/step` body: reward coerced to a float, `metadata` always
    /// present (`null` when empty).
    public var httpPayload: JSONValue {
        ["observation": .object(observation), "reward": reward?.floatJSONValue ?? .null, "done": .bool(done),
         "metadata": metadata.isEmpty ? .null : .object(metadata)]
    }
}
