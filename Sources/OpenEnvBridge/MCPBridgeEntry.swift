import OpenEnvCore

extension MCPBridgeEnvironment {
    /// `mcp-bridge`: an MCP server's tools. It needs the server, given as the arguments after
    /// `--` (the command that starts it on stdio) or as the option ``urlOption`` (its
    /// Streamable HTTP endpoint); ``toolTimeoutOption`` (seconds) bounds each tool call.
    /// Serving starts the server once, to fail at once with a clear message when it cannot
    /// work.
    public static let entry = EnvironmentEntry(
        name: "mcp-bridge", kind: .mcp,
        factory: EnvironmentFactory { () async throws -> MCPBridgeEnvironment in throw EnvironmentOptionsError(missingServer) },
        configure: { options in
            let configuration = try configuration(options)
            let probe: MCPBridgeEnvironment
            do {
                probe = try await MCPBridgeEnvironment(configuration: configuration)
            } catch {
                throw EnvironmentOptionsError("mcp-bridge cannot use the MCP server: \(error)")
            }
            await probe.close()
            return MCPBridgeEnvironment.factory(configuration)
        })

    /// The option naming the server's Streamable HTTP endpoint.
    public static let urlOption = "--mcp-url"
    /// The option giving a tool call's limit in seconds.
    public static let toolTimeoutOption = "--tool-timeout"

    static let missingServer = """
        mcp-bridge needs the MCP server to bridge: a command after -- (openenv serve mcp-bridge -- python -m mcp_server_time) \
        or --mcp-url http://HOST:PORT/mcp
        """

    /// Whether `options` name an MCP server (a command after `--` or ``urlOption``).
    public static func namesAServer(_ options: EnvironmentOptions) -> Bool {
        !options.arguments.isEmpty || options[urlOption] != nil
    }

    /// The bridge configuration `options` describe.
    /// - Throws: ``EnvironmentOptionsError`` when they name no server, two servers, a URL
    ///   that is not http(s), a timeout that is not a positive number, or options the
    ///   bridge does not take.
    public static func configuration(_ options: EnvironmentOptions) throws(EnvironmentOptionsError) -> MCPBridgeConfiguration {
        try options.requireOnly([urlOption, toolTimeoutOption], takesArguments: true, for: "mcp-bridge")
        let server: MCPBridgeConfiguration.Server
        switch (options.arguments.isEmpty, options[urlOption]) {
        case (true, nil):
            throw EnvironmentOptionsError(missingServer)
        case (false, nil):
            server = .command(options.arguments)
        case (true, let url?):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw EnvironmentOptionsError("\(urlOption) must be an http:// or https:// URL, not '\(url)'")
            }
            server = .url(url)
        case (false, _?):
            throw EnvironmentOptionsError("mcp-bridge takes either a command after -- or \(urlOption), not both")
        }
        var configuration = MCPBridgeConfiguration(server: server)
        if let text = options[toolTimeoutOption] {
            guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                throw EnvironmentOptionsError("\(toolTimeoutOption) must be a positive number of seconds, not '\(text)'")
            }
            configuration.toolTimeout = .milliseconds(Int64((seconds * 1000).rounded()))
        }
        return configuration
    }
}
