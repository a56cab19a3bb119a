/// How an agent acts on an environment, as `openenv list` shows it.
public enum EnvironmentKind: String, Sendable, CaseIterable {
    /// Through MCP tools (`list_tools`/`call_tool` actions and `/mcp`).
    case mcp
    /// Through typed actions (`step` with the environment's action schema).
    case typed
    /// An agent harness (``HarnessProviding``): the environment runs an agent itself.
    case harness
}

/// One environment a program serves by name: what `openenv list` shows and `serve` starts.
public struct EnvironmentEntry: Sendable {
    public var name: String
    public var kind: EnvironmentKind
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
        name: String, kind: EnvironmentKind, factory: EnvironmentFactory, preflight: (@Sendable () async throws -> Void)? = nil,
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
