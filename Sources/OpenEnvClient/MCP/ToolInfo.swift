import OpenEnvCore

/// A tool as a server lists it: from a `list_tools` step (`input_schema`) or from
/// JSON-RPC `tools/list` (MCP's `inputSchema`); both spellings are read.
public struct ToolInfo: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The JSON Schema of the tool's arguments.
    public var inputSchema: JSONValue

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }

    /// Reads one entry of a tool list. Throws ``OpenEnvError/unexpectedReply(_:_:)``
    /// when it has no name.
    public init(json: JSONValue) throws(OpenEnvError) {
        guard let name = json["name"]?.stringValue else { throw .unexpectedReply("a tool without a name", json) }
        self.name = name
        description = json["description"]?.stringValue ?? ""
        inputSchema = json["input_schema"] ?? json["inputSchema"] ?? .object([:])
    }

    /// Reads a `{"tools": [...]}` object.
    static func list(_ json: JSONValue) throws(OpenEnvError) -> [ToolInfo] {
        guard let tools = json["tools"]?.arrayValue else { throw .unexpectedReply("expected a tool list", json) }
        var result: [ToolInfo] = []
        for tool in tools { result.append(try ToolInfo(json: tool)) }
        return result
    }
}
