import OpenEnvCore

/// The environments that ship with swift-openenv, by the name `openenv serve` takes.
public enum BuiltinEnvironments {
    public struct Entry: Sendable {
        public var name: String
        /// `mcp` when the agent acts through MCP tools, `typed` for typed actions.
        public var kind: String
        public var factory: EnvironmentFactory
        public var description: String { factory.info.description }
    }

    public static let all: [Entry] = [
        Entry(name: "echo", kind: "mcp", factory: EnvironmentFactory { EchoEnvironment() }),
        Entry(name: "grid", kind: "typed", factory: EnvironmentFactory { GridEnvironment() }),
    ]

    public static func named(_ name: String) -> Entry? { all.first { $0.name == name } }
}
