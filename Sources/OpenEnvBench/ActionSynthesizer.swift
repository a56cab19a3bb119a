import NIOCore
import OpenEnvCore

/// Builds a valid action for an environment from its published schemas, so a benchmark
/// needs no `--action` for most servers.
///
/// An MCP environment (action schema titled `CallToolAction`) gets a call of its first
/// tool, with arguments built from the tool's input schema; any other environment gets an
/// object with each required property set to a value of its type (first enum value,
/// `"hello"`, `0`, `false`, `{}`, `[]`).
enum ActionSynthesizer {
    static func action(for target: BenchTarget, group: any EventLoopGroup) async throws -> JSONValue {
        let (status, body) = try await OneShotHTTP.request(target, method: .GET, path: "/schema", group: group)
        guard status == 200, let schema = try? JSONParser.parse(body), let action = schema["action"] else {
            throw BenchError.noAction("GET /schema answered \(status)")
        }
        if action["title"] == "CallToolAction" || action["properties"]?["tool_name"] != nil {
            let request = JSONWriter().bytes(["jsonrpc": "2.0", "method": "tools/list", "params": [:], "id": 1])
            let (_, listing) = try await OneShotHTTP.request(target, method: .POST, path: "/mcp", body: request, group: group)
            guard let tools = (try? JSONParser.parse(listing))?["result"]?["tools"]?.arrayValue, let first = tools.first,
                let name = first["name"]
            else { throw BenchError.noAction("tools/list returned no tools") }
            return ["type": "call_tool", "tool_name": name, "arguments": value(for: first["inputSchema"] ?? first["input_schema"] ?? [:])]
        }
        return value(for: action)
    }

    /// A value that satisfies `schema` (the subset pydantic and our server publish).
    static func value(for schema: JSONValue) -> JSONValue {
        if let choices = schema["enum"]?.arrayValue, let first = choices.first { return first }
        if let constant = schema["const"] { return constant }
        if let options = schema["anyOf"]?.arrayValue, let first = options.first(where: { $0["type"] != "null" }) { return value(for: first) }
        switch schema["type"]?.stringValue {
        case "string": return "hello"
        case "integer": return 0
        case "number": return 0.0
        case "boolean": return false
        case "array": return []
        case "object", nil:
            var object = JSONObject()
            let properties = schema["properties"]?.objectValue ?? [:]
            for case .string(let name) in schema["required"]?.arrayValue ?? [] {
                object[name] = value(for: properties[name] ?? [:])
            }
            return .object(object)
        default: return nil
        }
    }
}
