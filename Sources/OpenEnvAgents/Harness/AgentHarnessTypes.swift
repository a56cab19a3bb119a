import OpenEnvCore

/// What a client sends an ``AgentHarnessEnvironment``: one user message (a conversational
/// turn, the reference's `HarnessAction`), or an MCP action on the environment's tools.
public enum HarnessAction: Codable, Sendable, Equatable, JSONSchemaProviding {
    case message(String)
    case mcp(MCPAction)

    private enum Keys: String, CodingKey { case message }

    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: Keys.self)
        if keys.contains(.message) {
            self = .message(try keys.decode(String.self, forKey: .message))
        } else {
            self = .mcp(try MCPAction(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .message(let text):
            var keys = encoder.container(keyedBy: Keys.self)
            try keys.encode(text, forKey: .message)
        case .mcp(let action):
            try action.encode(to: encoder)
        }
    }

    public static var jsonSchema: JSONValue {
        [
            "additionalProperties": false,
            "description": "Action carrying one user message for a conversational harness turn.",
            "properties": ["message": ["description": "The user message for this turn.", "title": "Message", "type": "string"]],
            "required": ["message"], "title": "HarnessAction", "type": "object",
        ]
    }
}

/// What an ``AgentHarnessEnvironment`` answers: a turn's fields are in the metadata
/// (`response`, `turn_events`, `turn_number`) as in the reference; an MCP action's
/// observation keeps its own fields (`tool_name`, `result`, `error`, `tools`).
public struct HarnessObservation: Codable, Sendable, Equatable, JSONSchemaProviding {
    public var fields: JSONObject

    public init(_ fields: JSONObject = [:]) { self.fields = fields }

    public init(from decoder: any Decoder) throws { fields = try JSONObject(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try fields.encode(to: encoder) }

    public static var jsonSchema: JSONValue {
        ["additionalProperties": true, "description": "Base class for all environment observations.", "properties": [:], "title": "Observation", "type": "object"]
    }
}
