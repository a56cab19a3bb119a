import OpenEnvCore
import OpenEnvSandbox

/// The environments that ship with swift-openenv, by the name `openenv serve` takes.
public enum BuiltinEnvironments {
    public static let all: [EnvironmentEntry] = [
        EnvironmentEntry(name: "echo", kind: "mcp", factory: EnvironmentFactory { EchoEnvironment() }),
        EnvironmentEntry(name: "grid", kind: "typed", factory: EnvironmentFactory { GridEnvironment() }),
        EnvironmentEntry(name: "qa", kind: "typed", factory: EnvironmentFactory { try await QAEnvironment.builtin() }),
        EnvironmentEntry(name: "coding", kind: "typed", factory: EnvironmentFactory { CodingEnvironment() },
                         preflight: { try await SandboxHost.shared.verify() }),
        EnvironmentEntry(name: "terminal", kind: "typed", factory: EnvironmentFactory { TerminalEnvironment() },
                         preflight: { try await SandboxHost.shared.verify() }),
        mcpBridge,
        agent,
    ]

    public static func named(_ name: String) -> EnvironmentEntry? { all.first { $0.name == name } }
}
