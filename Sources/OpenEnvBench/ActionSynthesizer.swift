import NIOCore
import OpenEnvCore

/// Builds a valid action for an environment from its published schemas, so a benchmark
/// needs no `--action` for most servers.
///
/// An MCP environment (action schema titled `CallToolAction`) gets a call of its first
/// tool, with arguments built from the tool's input schema; any other environment gets the
/// simplest value of its action schema (``JSONSchemaSampler/simplest()``: the required
/// properties, each its first enum value, `"hello"`, its minimum or `0`, `false`, `{}`, `[]`).
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
            return ["type": "call_tool", "tool_name": name, "arguments": JSONSchemaSampler(first["inputSchema"] ?? first["input_schema"] ?? [:]).simplest()]
        }
        return JSONSchemaSampler(action).simplest()
    }
}
