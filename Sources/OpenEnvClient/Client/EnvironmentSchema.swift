import OpenEnvCore

/// The JSON Schemas a server publishes at `GET /schema` (spec §1.8): what an action,
/// an observation, the state and a reset observation look like. A generic client reads
/// them to learn an environment it has no Swift types for.
public struct EnvironmentSchema: Sendable, Equatable {
    public var action: JSONValue
    public var observation: JSONValue
    public var state: JSONValue
    /// The reset observation's schema (openenv 0.10); the observation schema when a server
    /// does not send it.
    public var resetObservation: JSONValue

    public init(_ json: JSONValue) throws(OpenEnvError) {
        guard let action = json["action"], let observation = json["observation"], let state = json["state"] else {
            throw .unexpectedReply("a /schema response needs action, observation and state", json)
        }
        self.action = action
        self.observation = observation
        self.state = state
        resetObservation = json["reset_observation"] ?? observation
    }

    /// The action's property names, and which of them are required.
    public var actionFields: (all: [String], required: [String]) {
        (action["properties"]?.objectValue?.keys ?? [], action["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// Fetches `/schema` from a server.
    public static func fetch(from address: ServerAddress, configuration: ClientConfiguration = ClientConfiguration()) async throws(OpenEnvError) -> EnvironmentSchema {
        let response = try await HTTPJSONClient(address: address, configuration: configuration).send(.GET, "/schema")
        guard response.isSuccess else { throw .httpStatus(response.status, body: response.body) }
        return try EnvironmentSchema(response.body)
    }
}
