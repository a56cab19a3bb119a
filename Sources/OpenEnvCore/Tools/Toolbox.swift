/// One tool as an agent sees it.
public struct ToolDescriptor: Sendable, Equatable {
    public var name: String
    public var description: String
    /// JSON Schema of the arguments, derived from the handler's argument type.
    public var inputSchema: JSONValue
    /// JSON Schema of the structured result (`null`: none declared).
    public var outputSchema: JSONValue
    /// MCP's optional display name.
    public var title: String?
    /// MCP's tool annotations (`readOnlyHint`…), `null` when there are none.
    public var annotations: JSONValue
    /// The tool's `_meta`, dumped as `meta` on `tools/list`.
    public var meta: JSONValue

    /// `meta` defaults to what FastMCP reports for an untagged tool.
    public init(
        name: String, description: String, inputSchema: JSONValue, outputSchema: JSONValue, title: String? = nil,
        annotations: JSONValue = .null, meta: JSONValue = ["fastmcp": ["tags": []]]
    ) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.title = title
        self.annotations = annotations
        self.meta = meta
    }

    /// The `list_tools` step shape: `{name, description, input_schema}`.
    public var stepJSON: JSONValue {
        ["name": .string(name), "description": .string(description), "input_schema": inputSchema]
    }

    /// The JSON-RPC `tools/list` shape: an MCP `Tool` dump as the reference emits it.
    public var rpcJSON: JSONValue {
        ["name": .string(name), "title": title.map(JSONValue.string) ?? .null, "description": .string(description),
         "inputSchema": inputSchema, "outputSchema": outputSchema, "icons": nil, "annotations": annotations, "meta": meta,
         "execution": nil]
    }
}

/// The tools of an MCP environment: names, derived schemas and async handlers.
///
/// Typed handlers receive their arguments decoded into a `Decodable` type (unknown
/// arguments rejected), so a tool's input schema always matches what it accepts. Raw
/// handlers (tools known only at run time, such as a bridged MCP server's) get the
/// arguments as JSON and validate them themselves. Calls fail with a typed ``ToolError``:
/// `tool_not_found`, `invalid_args`, `timeout` or `execution_error`.
public struct Toolbox: Sendable {
    private struct Entry: Sendable {
        var descriptor: ToolDescriptor
        var handler: @Sendable (JSONObject) async throws -> ToolResult
    }

    private var entries: [Entry] = []

    public static let reservedNames: Set<String> = ["reset", "step", "state", "close"]

    public init() {}

    /// Registers a tool.
    /// - Throws: ``ToolRegistrationError`` for reserved, duplicate or malformed names.
    public mutating func register<Arguments: Decodable & Sendable, Output: Encodable & Sendable>(
        _ name: String, description: String, arguments: Arguments.Type = Arguments.self,
        handler: @escaping @Sendable (Arguments) async throws -> Output
    ) throws(ToolRegistrationError) {
        let descriptor = ToolDescriptor(
            name: name, description: description, inputSchema: Self.inputSchema(Arguments.self),
            outputSchema: Self.outputSchema(Output.self))
        try register(descriptor) { object in
            let arguments: Arguments
            do {
                arguments = try JSONValueDecoder().decode(Arguments.self, from: .object(object))
            } catch {
                throw ToolError(.invalidArgs, "Invalid arguments for tool '\(name)': \(error)")
            }
            return ToolResult(returning: try JSONValueEncoder().encode(try await handler(arguments)))
        }
    }

    /// Registers a tool described at run time: `handler` gets the raw arguments and returns
    /// the whole result. It should throw a ``ToolError`` typed by what went wrong; any other
    /// error becomes `execution_error`.
    /// - Throws: ``ToolRegistrationError`` for reserved, duplicate or malformed names.
    public mutating func register(
        _ descriptor: ToolDescriptor, handler: @escaping @Sendable (JSONObject) async throws -> ToolResult
    ) throws(ToolRegistrationError) {
        let name = descriptor.name
        guard !Self.reservedNames.contains(name) else { throw .reservedName(name) }
        guard !name.isEmpty, name.utf8.allSatisfy({ Self.isNameByte($0) }) else { throw .invalidName(name) }
        guard !entries.contains(where: { $0.descriptor.name == name }) else { throw .duplicateName(name) }
        entries.append(Entry(descriptor: descriptor, handler: handler))
    }

    public var descriptors: [ToolDescriptor] { entries.map(\.descriptor) }

    /// Calls the tool `name`, failing with `timeout` after `timeout` when given.
    public func call(_ name: String, arguments: JSONObject, timeout: Duration? = nil) async throws(ToolError) -> ToolResult {
        guard let entry = entries.first(where: { $0.descriptor.name == name }) else {
            throw ToolError(.toolNotFound, "Unknown tool: '\(name)'")
        }
        let handler = entry.handler
        do {
            if let timeout {
                return try await withDeadline(timeout) { try await handler(arguments) } onTimeout: {
                    ToolError(.timeout, "Tool '\(name)' timed out after \(Self.seconds(timeout)) seconds")
                }
            }
            return try await handler(arguments)
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError(.executionError, "Error executing tool \(name): \(error)")
        }
    }

    /// `d` in seconds as Python prints a float (`30.0`, `0.5`), for timeout messages.
    public static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        let value = Double(s) + Double(atto) / 1e18
        return value.rounded() == value ? String(Double(value)) : String(value)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
    }

    static func inputSchema<T: Decodable>(_ type: T.Type) -> JSONValue {
        guard case .object(var schema) = JSONSchema.of(T.self) else { return ["type": "object"] }
        schema["title"] = nil
        if case .object(var properties) = schema["properties"] {
            for member in properties {
                guard case .object(var p) = member.value else { continue }
                p["title"] = nil
                properties[member.key] = .object(p)
            }
            schema["properties"] = .object(properties)
        }
        return .object(schema)
    }

    static func outputSchema<T: Encodable>(_ type: T.Type) -> JSONValue {
        switch T.self {
        case is String.Type:
            ["properties": ["result": ["type": "string"]], "required": ["result"], "type": "object", "x-fastmcp-wrap-result": true]
        case is Int.Type:
            ["properties": ["result": ["type": "integer"]], "required": ["result"], "type": "object", "x-fastmcp-wrap-result": true]
        case is Double.Type:
            ["properties": ["result": ["type": "number"]], "required": ["result"], "type": "object", "x-fastmcp-wrap-result": true]
        case is Bool.Type:
            ["properties": ["result": ["type": "boolean"]], "required": ["result"], "type": "object", "x-fastmcp-wrap-result": true]
        default:
            ["additionalProperties": true, "type": "object"]
        }
    }
}

