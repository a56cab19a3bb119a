/// The result of a successful tool call, in the shape the reference's FastMCP produces.
///
/// On the wire (both `tools/call` and the `result` of a `call_tool` step) it is
/// `{"content":[{"type":"text","text":…,"annotations":null,"meta":null}],
///   "structured_content":…,"meta":…,"data":…,"is_error":false}`.
/// A string (or other non-object) return value is wrapped as `{"result": value}` with
/// `meta {"fastmcp":{"wrap_result":true}}`; an object is its own structured content.
public struct ToolResult: Sendable, Equatable {
    /// The content blocks in MCP's wire shape: `{"type":"text","text":…}`,
    /// `{"type":"image","data":…,"mimeType":…}`, and so on.
    public var content: [JSONValue]
    public var structuredContent: JSONValue
    public var meta: JSONValue
    public var data: JSONValue
    public var isError: Bool

    /// A result whose content is one text block.
    public init(text: String, structuredContent: JSONValue, meta: JSONValue, data: JSONValue, isError: Bool = false) {
        self.init(content: [["type": "text", "text": .string(text)]], structuredContent: structuredContent, meta: meta,
                  data: data, isError: isError)
    }

    /// A result with any content blocks (as an MCP server returned them).
    public init(content: [JSONValue], structuredContent: JSONValue, meta: JSONValue, data: JSONValue, isError: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.meta = meta
        self.data = data
        self.isError = isError
    }

    /// Shapes a tool's return value as FastMCP does.
    public init(returning value: JSONValue) {
        switch value {
        case .object:
            self.init(text: value.description, structuredContent: value, meta: .null, data: value)
        case .string(let s):
            self.init(text: s, structuredContent: ["result": value], meta: Self.wrapMeta, data: value)
        default:
            self.init(text: value.description, structuredContent: ["result": value], meta: Self.wrapMeta, data: value)
        }
    }

    static let wrapMeta: JSONValue = ["fastmcp": ["wrap_result": true]]

    /// The texts of the text blocks, joined by newlines.
    public var text: String {
        content.compactMap { $0["type"] == "text" ? $0["text"]?.stringValue : nil }.joined(separator: "\n")
    }

    /// The OpenEnv dialect's shape (snake_case, as the reference's pydantic dump).
    public var json: JSONValue {
        ["content": .array(content.map(Self.dumped)), "structured_content": structuredContent, "meta": meta, "data": data,
         "is_error": .bool(isError)]
    }

    /// A content block as pydantic dumps MCP's models: `_meta` under its field name `meta`,
    /// and `annotations` and `meta` always present.
    private static func dumped(_ block: JSONValue) -> JSONValue {
        guard case .object(let fields) = block else { return block }
        var out = JSONObject()
        for member in fields where member.key != "annotations" && member.key != "_meta" { out[member.key] = member.value }
        out["annotations"] = fields["annotations"] ?? .null
        out["meta"] = fields["_meta"] ?? .null
        return .object(out)
    }
}
