import OpenEnvCore

/// A tool offered to the model: a function with a JSON Schema for its arguments.
public struct FunctionTool: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The JSON Schema of the arguments (an object schema).
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// The tool in the chat-completions `tools` list.
    public var json: JSONValue {
        ["type": "function", "function": ["name": .string(name), "description": .string(description), "parameters": parameters]]
    }

    /// The single tool of an environment without MCP tools: `step`, whose arguments are the
    /// action (its schema without the `metadata` member every action accepts).
    public static func step(actionSchema: JSONValue) -> FunctionTool {
        var parameters = actionSchema
        if case .object(var schema) = parameters {
            if case .object(var properties)? = schema["properties"] {
                properties["metadata"] = nil
                schema["properties"] = .object(properties)
            }
            parameters = .object(schema)
        }
        let description = actionSchema["description"]?.stringValue.map { "Take one action in the environment. \($0)" }
            ?? "Take one action in the environment; the arguments are the action."
        return FunctionTool(name: "step", description: description, parameters: parameters)
    }
}
