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
        public var description: String { factory.info.description }
    }

    public static let all: [Entry] = [
        Entry(name: "echo", kind: "mcp", factory: EnvironmentFactory { EchoEnvironment() }),
        Entry(name: "grid", kind: "typed", factory: EnvironmentFactory { GridEnvironment() }),
        Entry(name: "qa", kind: "typed", factory: EnvironmentFactory { try await QAEnvironment.builtin() }),
        Entry(name: "coding", kind: "typed", factory: EnvironmentFactory { CodingEnvironment() },
              preflight: { try await SandboxHost.shared.verify() }),
        Entry(name: "terminal", kind: "typed", factory: EnvironmentFactory { TerminalEnvironment() },
              preflight: { try await SandboxHost.shared.verify() }),
    ]

    public static func named(_ name: String) -> Entry? { all.first { $0.name == name } }
}
