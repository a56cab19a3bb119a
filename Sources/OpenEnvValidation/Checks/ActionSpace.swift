import OpenEnvCore

/// The actions an environment accepts, learned from its `/schema` (and, for MCP
/// environments, from `tools/list` on `POST /mcp`), and random valid actions drawn from
/// them with a seeded generator (``JSONSchemaSampler``), so a validation run is repeatable.
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
            return JSONSchemaSampler(schema).random(using: &rng)
        case .mcp(let tools):
            let tool = tools[Int(rng.next() % UInt64(tools.count))]
            return ["type": "call_tool", "tool_name": .string(tool.name),
                    "arguments": JSONSchemaSampler(tool.inputSchema).random(using: &rng)]
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
