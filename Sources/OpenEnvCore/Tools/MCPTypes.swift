/// The `call_tool` step action: `{"type":"call_tool","tool_name":…,"arguments":{…}}`.
public struct CallToolAction: Codable, Sendable, Equatable, JSONSchemaDescribed {
    public var toolName: String
    public var arguments: JSONObject

    public init(toolName: String, arguments: JSONObject = [:]) {
        self.toolName = toolName
        self.arguments = arguments
    }

    private enum CodingKeys: String, CodingKey { case type, toolName, arguments, metadata }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        _ = try c.decodeIfPresent(CallToolKind.self, forKey: .type)
        toolName = try c.decode(String.self, forKey: .toolName)
        arguments = try c.decodeIfPresent(JSONObject.self, forKey: .arguments) ?? [:]
        _ = try c.decodeIfPresent(JSONObject.self, forKey: .metadata)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(CallToolKind.callTool, forKey: .type)
        try c.encode(toolName, forKey: .toolName)
        try c.encode(arguments, forKey: .arguments)
    }

    public static var schemaTitle: String { "CallToolAction" }
    public static var schemaDescription: String? { "Call a specific tool via MCP." }
    public static var propertyDescriptions: [String: String] {
        ["type": "Action type discriminator", "tool_name": "Name of the tool to call",
         "arguments": "Arguments to pass to the tool", "metadata": "Additional metadata for the action"]
    }
}

enum CallToolKind: String, Codable, CaseIterable { case callTool = "call_tool" }
enum ListToolsKind: String, Codable, CaseIterable { case listTools = "list_tools" }

/// The actions of an MCP environment's step: list the tools or call one.
///
/// Decoding follows the reference: `{"type":"list_tools"}` lists; anything else is a
/// ``CallToolAction`` (`type` defaults to `call_tool`). Its schema is `CallToolAction`'s.
public enum MCPAction: Codable, Sendable, Equatable, JSONSchemaProviding {
    case listTools
    case callTool(CallToolAction)

    private enum CodingKeys: String, CodingKey { case type, metadata }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.type), (try? c.decode(String.self, forKey: .type)) == "list_tools" {
            _ = try c.decodeIfPresent(JSONObject.self, forKey: .metadata)
            self = .listTools
        } else {
            self = .callTool(try CallToolAction(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .listTools:
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(ListToolsKind.listTools, forKey: .type)
        case .callTool(let action): try action.encode(to: encoder)
        }
    }

    public static var jsonSchema: JSONValue { JSONSchema.of(CallToolAction.self) }
}

/// The observation of a `call_tool` step.
public struct CallToolObservation: Codable, Sendable, Equatable, JSONSchemaDescribed {
    public var toolName: String
    /// The tool result (``ToolResult/json``), `null` when the call failed.
    public var result: JSONValue
    public var error: ToolError?

    public init(toolName: String, result: JSONValue, error: ToolError?) {
        self.toolName = toolName
        self.result = result
        self.error = error
    }

    public static var schemaTitle: String { "CallToolObservation" }
    public static var schemaDescription: String? { "Response from tool execution." }
    public static var propertyDescriptions: [String: String] {
        ["tool_name": "Name of the tool that was called", "result": "Tool-specific result (may include tool errors)",
         "error": "Transport/framework error if call failed"]
    }
}

/// The observation of an MCP environment's step: a tool list or a tool call outcome.
public enum MCPObservation: Codable, Sendable, Equatable, JSONSchemaProviding {
    case tools([ToolDescriptor])
    case toolCall(CallToolObservation)

    public init(from decoder: any Decoder) throws {
        self = .toolCall(try CallToolObservation(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .tools(let tools):
            var c = encoder.container(keyedBy: AnyKey.self)
            try c.encode(JSONValue.array(tools.map(\.stepJSON)), forKey: AnyKey("tools"))
        case .toolCall(let observation): try observation.encode(to: encoder)
        }
    }

    /// `CallToolObservation`'s schema, as the reference's echo publishes.
    public static var jsonSchema: JSONValue { JSONSchema.of(CallToolObservation.self) }
}

extension Toolbox {
    /// Runs one MCP step action: lists the tools or calls one with a deadline (default 30 s,
    /// the reference's). Failures become the observation's typed `error`, never a throw.
    public func step(_ action: MCPAction, timeout: Duration = .seconds(30)) async -> MCPObservation {
        switch action {
        case .listTools:
            return .tools(descriptors)
        case .callTool(let call):
            do {
                let result = try await self.call(call.toolName, arguments: call.arguments, timeout: timeout)
                return .toolCall(CallToolObservation(toolName: call.toolName, result: result.json, error: nil))
            } catch {
                return .toolCall(CallToolObservation(toolName: call.toolName, result: .null, error: error))
            }
        }
    }
}

/// An environment whose tools are reachable directly over JSON-RPC (`tools/list`,
/// `tools/call` on `/mcp`), not only through `step`. Direct calls are not steps.
public protocol ToolProviding: Actor {
    var toolbox: Toolbox { get }
}
