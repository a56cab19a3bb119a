import OpenEnvCore
import OpenEnvSandbox

/// The environments that ship with swift-openenv, by the name `openenv serve` takes.
public enum BuiltinEnvironments {
    public struct Entry: Sendable {
        public var name: String
        /// `mcp` when the agent acts through MCP tools, `typed` for typed actions.
        public var kind: String
        public var factory: EnvironmentFactory
        /// Checks a server must pass before it starts serving (e.g. that sandboxes can be
        /// built on this host); throws a description of what is missing.
        public var preflight: (@Sendable () async throws -> Void)?
        /// Makes the factory `openenv serve` uses from its ``EnvironmentOptions``, checking
        /// that they work; throws a description of what is wrong. Environments without
        /// options refuse any and return ``factory``.
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

    public static let all: [Entry] = [
        Entry(name: "echo", kind: "mcp", factory: EnvironmentFactory { EchoEnvironment() }),
        Entry(name: "grid", kind: "typed", factory: EnvironmentFactory { GridEnvironment() }),
        Entry(name: "qa", kind: "typed", factory: EnvironmentFactory { try await QAEnvironment.builtin() }),
        Entry(name: "coding", kind: "typed", factory: EnvironmentFactory { CodingEnvironment() },
              preflight: { try await SandboxHost.shared.verify() }),
        Entry(name: "terminal", kind: "typed", factory: EnvironmentFactory { TerminalEnvironment() },
              preflight: { try await SandboxHost.shared.verify() }),
        mcpBridge,
        agent,
    ]

    public static func named(_ name: String) -> Entry? { all.first { $0.name == name } }
}
