/// What `serve` hands an environment besides the server settings (the options of
/// `openenv serve mcp-bridge`). Only configurable environments take any.
public struct EnvironmentOptions: Sendable, Equatable {
    /// The command line after `--`.
    public var command: [String]
    /// `--mcp-url`.
    public var mcpURL: String?
    /// `--tool-timeout`; `nil` for the environment's default.
    public var toolTimeout: Duration?

    public init(command: [String] = [], mcpURL: String? = nil, toolTimeout: Duration? = nil) {
        self.command = command
        self.mcpURL = mcpURL
        self.toolTimeout = toolTimeout
    }

    /// - Throws: ``EnvironmentOptionsError`` naming the options `environment` does not take.
    public func requireNone(for environment: String) throws(EnvironmentOptionsError) {
        var given: [String] = []
        if !command.isEmpty { given.append("a command after --") }
        if mcpURL != nil { given.append("--mcp-url") }
        if toolTimeout != nil { given.append("--tool-timeout") }
        guard given.isEmpty else {
            throw EnvironmentOptionsError("\(environment) does not take these mcp-bridge options: \(given.joined(separator: ", "))")
        }
    }
}

/// Options an environment cannot be served with.
public struct EnvironmentOptionsError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
