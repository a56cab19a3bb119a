/// The result of a successful tool call, in the shape the reference's FastMCP produces.
///
/// On the wire (both `tools/call` and the `result` of a `call_tool` step) it is
/// `{"content":[{"type":"text","text":…,"annotations":null,"meta":null}],
///   "structured_content":…,"meta":…,"data":…,"is_error":false}`.
/// A string (or other non-object) return value is wrapped as `{"result": value}` with
/// `meta {"fastmcp":{"wrap_result":true}}`; an object is its own structured content.
public struct ToolResult: Sendable, Equatable {
    public var text: String
    public var structuredContent: JSONValue
    public var meta: JSONValue
    public var data: JSONValue
    public var isError: Bool

    public init(text: String, structuredContent: JSONValue, meta: JSONValue, data: JSONValue, isError: Bool = false) {
        self.text = text
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

    public var json: JSONValue {
        ["content": [["type": "text", "text": .string(text), "annotations": nil, "meta": nil]],
         "structured_content": structuredContent, "meta": meta, "data": data, "is_error": .bool(isError)]
    }
}
