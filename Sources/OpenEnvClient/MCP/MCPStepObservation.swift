import OpenEnvCore

/// What a step on an MCP environment returns, as a client reads it (spec §4.2, §4.9):
/// an observation with `tools` is a tool list, one with `tool_name` a tool call outcome,
/// anything else (such as the reset observation) is kept as JSON.
public enum MCPStepObservation: Sendable, Equatable, Decodable {
    case tools([ToolInfo])
    case toolCall(CallToolObservation)
    case other(JSONObject)

    public init(from decoder: any Decoder) throws {
        let object = try decoder.singleValueContainer().decode(JSONObject.self)
        if object["tools"] != nil {
            self = .tools(try ToolInfo.list(.object(object)))
        } else if object["tool_name"] != nil {
            self = .toolCall(try WireDecoding.decode(CallToolObservation.self, from: .object(object)))
        } else {
            self = .other(object)
        }
    }
}
