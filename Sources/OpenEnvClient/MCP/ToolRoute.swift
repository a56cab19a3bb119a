/// Which way a tool request travels (spec §4.1).
public enum ToolRoute: Sendable {
    /// JSON-RPC `tools/list` / `tools/call` on `POST /mcp` with the session id: not a
    /// step (no reward, the step count is unchanged on MCP environments). The default of
    /// the reference `MCPToolClient`.
    case jsonRPC
    /// A `list_tools` / `call_tool` step over the session's WebSocket: counted as a step,
    /// with the environment's reward and `done`.
    case step
}
