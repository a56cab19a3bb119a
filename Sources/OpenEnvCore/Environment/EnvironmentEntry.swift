/// One environment a command-line program serves, by the name `serve` takes: the
/// built-ins of `openenv` (`BuiltinEnvironments`) and those of a generated package.
public struct EnvironmentEntry: Sendable {
    public var name: String
    /// `mcp` when the agent acts through MCP tools, `typed` for typed actions, `harness` for
    /// an agent harness (``HarnessProviding``).
    public var kind: String
    public var factory: EnvironmentFactory
    /// Checks a server must pass before it starts serving (e.g. that sandboxes can be
    /// built on this host); throws a description of what is missing.
    public var preflight: (@Sendable () async throws -> Void)?
    /// Makes the factory `serve` uses from its ``EnvironmentOptions``, checking that they
    /// work; throws a description of what is wrong. By default the environment takes no
    /// options and ``factory`` is served.
    public var configure: @Sendable (EnvironmentOptions) async throws -> EnvironmentFactory
    public var description: String { factory.info.description }

    public init(
        name: String, kind: String, factory: EnvironmentFactory, preflight: (@Sendable () async throws -> Void)? = nil,
        configure: (@Sendable (EnvironmentOptions) async throws -> EnvironmentFactory)? = nil
    ) {
        self.name = name
        self.kind = kind
        self.factory = factory
        self.preflight = preflight
        self.configure = configure ?? { options in
            try options.requireNone(for: name)
            return factory
        }
    }
}
