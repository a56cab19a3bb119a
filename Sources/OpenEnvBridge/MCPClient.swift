import OpenEnvCore

/// An initialized MCP client session on one transport: the `initialize` handshake
/// (protocol 2025-06-18, no client capabilities), the tool list and tool calls.
struct MCPClient: Sendable {
    static let protocolVersion = "2025-06-18"
    static let clientInfo: JSONValue = ["name": "openenv-mcp-bridge", "version": "1.0.0"]

    let transport: any MCPTransport
    /// `serverInfo` of the server's `initialize` answer (`name`, `version`, …).
    let serverInfo: JSONValue

    /// Performs the handshake: `initialize`, then `notifications/initialized`.
    static func initialize(_ transport: any MCPTransport, timeout: Duration) async throws(MCPTransportError) -> MCPClient {
        let result = try await transport.request(
            "initialize",
            params: ["protocolVersion": .string(protocolVersion), "capabilities": [:], "clientInfo": clientInfo],
            timeout: timeout)
        guard case .object(let answer) = result, answer["protocolVersion"]?.stringValue != nil else {
            throw .invalidResponse("the initialize result has no protocolVersion: '\(JSONRPC.excerpt(JSONWriter().bytes(result)))'")
        }
        await transport.notify("notifications/initialized", params: [:])
        return MCPClient(transport: transport, serverInfo: answer["serverInfo"] ?? .null)
    }

    /// Every tool the server lists, following `nextCursor` pages (at most 100).
    func listTools(timeout: Duration) async throws(MCPTransportError) -> [JSONValue] {
        var tools: [JSONValue] = []
        var cursor: JSONValue?
        for _ in 0..<100 {
            let params: JSONObject = cursor.map { ["cursor": $0] } ?? [:]
            let result = try await transport.request("tools/list", params: params, timeout: timeout)
            guard case .array(let page)? = result["tools"] else {
                throw .invalidResponse("tools/list returned no tools array")
            }
            tools += page
            guard let next = result["nextCursor"], !next.isNull else { break }
            cursor = next
        }
        return tools
    }

    /// Calls a tool; returns MCP's `CallToolResult` as the server sent it.
    func callTool(_ name: String, arguments: JSONObject, timeout: Duration) async throws(MCPTransportError) -> JSONValue {
        try await transport.request("tools/call", params: ["name": .string(name), "arguments": .object(arguments)], timeout: timeout)
    }
}
