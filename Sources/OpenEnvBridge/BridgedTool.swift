import OpenEnvCore

/// A tool of a bridged MCP server: what the toolbox publishes, how its arguments are
/// checked, and how its results become ``ToolResult``s.
struct BridgedTool: Sendable {
    let descriptor: ToolDescriptor
    /// The input schema as a pre-check (pydantic's texts, lenient: the server has the last
    /// word); `nil` for a schema that is not an object or a boolean, which checks nothing.
    private let validator: JSONSchemaValidator?

    /// Reads one entry of MCP's `tools/list` answer; `nil` when it has no name.
    init?(_ tool: JSONValue) {
        guard case .object(let fields) = tool, case .string(let name)? = fields["name"] else { return nil }
        let inputSchema = fields["inputSchema"].flatMap { $0.objectValue != nil ? $0 : nil } ?? ["type": "object"]
        descriptor = ToolDescriptor(
            name: name, description: fields["description"]?.stringValue ?? "", inputSchema: inputSchema,
            outputSchema: fields["outputSchema"] ?? .null, title: fields["title"]?.stringValue,
            annotations: fields["annotations"] ?? .null, meta: fields["_meta"] ?? .null)
        validator = try? JSONSchemaValidator(schema: inputSchema, options: .precheck)
    }

    var name: String { descriptor.name }

    /// Checks arguments before they are sent, so that arguments the schema rejects fail with
    /// a precise message instead of whatever the server makes of them. Only what the schema
    /// certainly rejects fails (``JSONSchemaValidator/Options/precheck``).
    /// - Throws: `invalid_args` naming every problem the input schema finds, each at its
    ///   location (`files.0.path: Field required`).
    func validate(_ arguments: JSONObject) throws(ToolError) {
        guard let issues = validator?.validate(.object(arguments)), !issues.isEmpty else { return }
        throw ToolError(.invalidArgs, "Invalid arguments for tool '\(name)': \(issues.map(\.dottedDescription).joined(separator: "; "))")
    }

    /// Maps MCP's `CallToolResult` to a ``ToolResult``.
    ///
    /// `data` is what FastMCP's client would give: the structured content (unwrapped from
    /// `{"result": …}` when the tool's output schema or `_meta` say it is wrapped). A tool
    /// without structured content gets its text instead, so `MCPToolClient.call_tool`
    /// returns something useful. A result flagged `isError` throws `execution_error` with
    /// the tool's text.
    func result(from reply: JSONValue) throws(ToolError) -> ToolResult {
        guard case .object(let fields) = reply else {
            throw ToolError(.executionError, "Error executing tool \(name): the server's result is not an object")
        }
        let content = fields["content"]?.arrayValue ?? []
        let structured = fields["structuredContent"] ?? .null
        let meta = fields["_meta"] ?? .null
        var result = ToolResult(content: content, structuredContent: structured, meta: meta, data: .null)
        if fields["isError"] == .bool(true) {
            let text = result.text
            throw ToolError(.executionError, text.isEmpty ? "Error executing tool \(name): the tool reported an error" : text)
        }
        if case .object(let object) = structured {
            let wrapped = descriptor.outputSchema["x-fastmcp-wrap-result"] == .bool(true)
                || meta["fastmcp"]?["wrap_result"] == .bool(true)
            result.data = wrapped ? object["result"] ?? .null : structured
        } else if !content.isEmpty, content.allSatisfy({ $0["type"] == "text" }) {
            result.data = .string(result.text)
        }
        return result
    }
}
