import OpenEnvCore

/// Reading replies into the client's types. Decoding is lenient about unknown keys
/// (servers add fields; the observation always carries `metadata`), strict about types.
enum WireDecoding {
    static let decoder = JSONValueDecoder(forbidExtraKeys: false)

    /// An `observation` payload (`/ws` `data` or an HTTP `/reset`/`/step` body) as a
    /// ``StepResult``. `reward` may be a number, a boolean or `null`; `done` defaults to
    /// false; `metadata` is the top-level copy, else the one inside the observation (as
    /// the reference's `MCPToolClient` reads it), else empty.
    static func stepResult<Observation: Decodable>(_ payload: JSONObject, as _: Observation.Type) throws(OpenEnvError) -> StepResult<Observation> {
        let observationJSON = payload["observation"] ?? .object([:])
        let reward: Reward?
        switch payload["reward"] ?? .null {
        case .null: reward = nil
        case .int(let value): reward = .int(value)
        case .double(let value): reward = .double(value)
        case .bool(let value): reward = .bool(value)
        default: throw .unexpectedReply("reward is not a number, boolean or null", .object(payload))
        }
        let metadata = payload["metadata"]?.objectValue ?? observationJSON["metadata"]?.objectValue ?? [:]
        let observation = try decode(Observation.self, from: observationJSON)
        return StepResult(observation, reward: reward, done: payload["done"]?.boolValue ?? false, metadata: metadata)
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(OpenEnvError) -> T {
        do {
            return try decoder.decode(T.self, from: value)
        } catch {
            throw .unexpectedReply("does not decode as \(T.self): \(error)", value)
        }
    }

    static func encode<T: Encodable>(_ value: T) throws(OpenEnvError) -> JSONValue {
        do {
            return try JSONValueEncoder().encode(value)
        } catch {
            throw .encoding("\(error)")
        }
    }
}
