import OpenEnvAgents
import OpenEnvBridge
import OpenEnvCore
import OpenEnvEnvironments

extension BuiltinEnvironments {
    /// `agent`: ``AgentHarnessEnvironment`` over the echo environment's tools, or over an
    /// MCP server's (`openenv serve agent -- <command…>` or `--mcp-url`, as for
    /// `mcp-bridge`). The model comes from the process environment
    /// (``AgentConfiguration/fromEnvironment(_:)``: `OPENENV_AGENT_BASE_URL`,
    /// `OPENENV_AGENT_MODEL`, …), checked when serving starts.
    static let agent = EnvironmentEntry(
        name: "agent", kind: .harness,
        factory: agentFactory(tools: EnvironmentFactory { EchoEnvironment() }),
        configure: { options in
            do { _ = try AgentConfiguration.fromEnvironment() } catch { throw EnvironmentOptionsError("agent: \(error)") }
            if !MCPBridgeEnvironment.namesAServer(options) { try options.requireNone(for: "agent") }
            let tools = MCPBridgeEnvironment.namesAServer(options)
                ? try await MCPBridgeEnvironment.entry.configure(options)
                : EnvironmentFactory { EchoEnvironment() }
            return agentFactory(tools: tools)
        })

    static func agentFactory(tools: EnvironmentFactory) -> EnvironmentFactory {
        EnvironmentFactory {
            try await AgentHarnessEnvironment(tools: try await tools.make(), configuration: try AgentConfiguration.fromEnvironment())
        }
    }
}
