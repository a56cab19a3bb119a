import OpenEnvCore

/// The actions an environment accepts, learned from its `/schema` (and, for MCP
/// environments, from `tools/list` on `POST /mcp`), and random valid actions drawn from
/// them with a seeded generator, so a validation run is repeatable.
struct ActionSpace: Sendable {
    enum Kind: Sendable {
        /// A typed action: any value of the action schema.
        case typed(JSONValue)
        /// An MCP environment: `call_tool` of one of these tools with arguments from its input schema.
        case mcp([(name: String, inputSchema: JSONValue)])
    }

    let kind: Kind

    struct Unavailable: Error, CustomStringConvertible { var description: String }

    static func discover(_ server: ServerUnderTest, schema: JSONObject) async throws(Unavailable) -> ActionSpace {
        guard let action = schema["action"], action.objectValue != nil else { throw Unavailable(description: "/schema has no action schema") }
        guard action["properties"]?["tool_name"] != nil || action["title"] == "CallToolAction" else {
            return ActionSpace(kind: .typed(action))
        }
        let request: JSONValue = ["jsonrpc": "2.0", "method": "tools/list", "params": [:], "id": 1]
        let listing: HTTPProbe.Response
        do { listing = try await server.http.post("/mcp", json: request) } catch { throw Unavailable(description: "tools/list: \(error.description)") }
        guard let tools = listing.json?["result"]?["tools"]?.arrayValue, !tools.isEmpty else {
            throw Unavailable(description: "tools/list on POST /mcp returned no tools")
        }
        let described = tools.compactMap { tool -> (name: String, inputSchema: JSONValue)? in
            guard let name = tool["name"]?.stringValue else { return nil }
            return (name, tool["inputSchema"] ?? tool["input_schema"] ?? ["type": "object"])
        }
        return ActionSpace(kind: .mcp(described))
    }

    /// A random valid action.
    func random(using rng: inout SplitMix64) -> JSONValue {
        switch kind {
        case .typed(let schema):
            return ValueGenerator(root: schema).value(for: schema, using: &rng, depth: 0)
        case .mcp(let tools):
            let tool = tools[Int(rng.next() % UInt64(tools.count))]
            return ["type": "call_tool", "tool_name": .string(tool.name),
                    "arguments": ValueGenerator(root: tool.inputSchema).value(for: tool.inputSchema, using: &rng, depth: 0)]
        }
    }

    /// Actions that do nothing: the empty object, and for MCP environments `list_tools`.
    var emptyActions: [JSONValue] {
        switch kind {
        case .typed: [[:]]
        case .mcp: [[:], ["type": "list_tools"]]
        }
    }

    /// A valid action with one key the action model cannot have, for the invalid-action
    /// check.
    func invalid(using rng: inout SplitMix64) -> JSONValue {
        var action = random(using: &rng).objectValue ?? [:]
        action["openenv_validate_unknown_field"] = 1
        return .object(action)
    }
}

/// Draws values that satisfy a JSON Schema (the subset pydantic and swift-openenv publish).
struct ValueGenerator {
    let root: JSONValue
    private static let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]

    func value(for schema: JSONValue, using rng: inout SplitMix64, depth: Int) -> JSONValue {
        guard depth < 16, schema.objectValue != nil else { return .null }
        if let reference = schema["$ref"]?.stringValue, let target = resolve(reference) { return value(for: target, using: &rng, depth: depth + 1) }
        if let choices = schema["enum"]?.arrayValue, !choices.isEmpty { return choices[Int(rng.next() % UInt64(choices.count))] }
        if let constant = schema["const"] { return constant }
        for key in ["anyOf", "oneOf"] {
            if let options = schema[key]?.arrayValue, !options.isEmpty {
                let usable = options.filter { $0["type"] != "null" }
                let pool = usable.isEmpty ? options : usable
                return value(for: pool[Int(rng.next() % UInt64(pool.count))], using: &rng, depth: depth + 1)
            }
        }
        if let parts = schema["allOf"]?.arrayValue, let first = parts.first { return value(for: first, using: &rng, depth: depth + 1) }
        let type = schema["type"]?.stringValue ?? schema["type"]?.arrayValue?.first(where: { $0 != "null" })?.stringValue
        switch type {
        case "string":
            var word = Self.words[Int(rng.next() % UInt64(Self.words.count))]
            if let minimum = schema["minLength"]?.intValue, word.count < minimum { word += String(repeating: "x", count: minimum - word.count) }
            if let maximum = schema["maxLength"]?.intValue, word.count > maximum { word = String(word.prefix(maximum)) }
            return .string(word)
        case "integer":
            let low = schema["minimum"]?.intValue ?? schema["exclusiveMinimum"]?.intValue.map { $0 + 1 } ?? 0
            let high = max(low, schema["maximum"]?.intValue ?? schema["exclusiveMaximum"]?.intValue.map { $0 - 1 } ?? low + 10)
            return .int(low + Int(rng.next() % UInt64(high - low + 1)))
        case "number":
            let low = schema["minimum"]?.doubleValue ?? schema["exclusiveMinimum"]?.doubleValue ?? 0
            let high = max(low, schema["maximum"]?.doubleValue ?? schema["exclusiveMaximum"]?.doubleValue ?? low + 1)
            return .double(low + (high - low) * Double(rng.next() % 1000) / 1000)
        case "boolean": return .bool(rng.next() % 2 == 0)
        case "null": return .null
        case "array":
            let count = max(schema["minItems"]?.intValue ?? 0, Int(rng.next() % 3))
            return .array((0..<min(count, schema["maxItems"]?.intValue ?? count)).map { _ in value(for: schema["items"] ?? [:], using: &rng, depth: depth + 1) })
        default:
            var object = JSONObject()
            let properties = schema["properties"]?.objectValue ?? [:]
            let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            // Required properties always; optional ones half the time, so actions whose
            // every field is optional are not all empty.
            for member in properties where required.contains(member.key) || rng.next() % 2 == 0 {
                object[member.key] = value(for: member.value, using: &rng, depth: depth + 1)
            }
            return .object(object)
        }
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for token in reference.dropFirst().split(separator: "/") {
            guard let next = node[String(token).replacing("~1", with: "/").replacing("~0", with: "~")] else { return nil }
            node = next
        }
        return node
    }
}
