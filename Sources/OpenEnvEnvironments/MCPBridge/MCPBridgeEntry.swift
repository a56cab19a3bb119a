import OpenEnvBridge
import OpenEnvCore

extension BuiltinEnvironments {
    /// `mcp-bridge`: an MCP server's tools (``MCPBridgeEnvironment``). It needs the server:
    /// `openenv serve mcp-bridge -- <command…>` or `--mcp-url <url>`. Serving starts the
    /// server once, to fail at once with a clear message when it cannot work.
    static let mcpBridge = EnvironmentEntry(
        name: "mcp-bridge", kind: "mcp",
        factory: EnvironmentFactory { () async throws -> MCPBridgeEnvironment in throw EnvironmentOptionsError(missingServer) },
        configure: { options in
            let configuration = try bridgeConfiguration(options)
            let probe: MCPBridgeEnvironment
            do {
                probe = try await MCPBridgeEnvironment(configuration: configuration)
            } catch {
                throw EnvironmentOptionsError("mcp-bridge cannot use the MCP server: \(error)")
            }
            await probe.close()
            return MCPBridgeEnvironment.factory(configuration)
        })

    static let missingServer = """
        mcp-bridge needs the MCP server to bridge: a command after -- (openenv serve mcp-bridge -- python -m mcp_server_time) \
        or --mcp-url http://HOST:PORT/mcp
        """

    static func bridgeConfiguration(_ options: EnvironmentOptions) throws(EnvironmentOptionsError) -> MCPBridgeConfiguration {
        let server: MCPBridgeConfiguration.Server
        switch (options.command.isEmpty, options.mcpURL) {
        case (true, nil):
            throw EnvironmentOptionsError(missingServer)
        case (false, nil):
            server = .command(options.command)
        case (true, let url?):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw EnvironmentOptionsError("--mcp-url must be an http:// or https:// URL, not '\(url)'")
            }
            server = .url(url)
        case (false, _?):
            throw EnvironmentOptionsError("mcp-bridge takes either a command after -- or --mcp-url, not both")
        }
        var configuration = MCPBridgeConfiguration(server: server)
        if let timeout = options.toolTimeout { configuration.toolTimeout = timeout }
        return configuration
    }
}
