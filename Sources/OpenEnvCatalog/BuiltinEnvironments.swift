import OpenEnvAgents
import OpenEnvBridge
import OpenEnvBrowser
import OpenEnvCoding
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvQA

/// The environments that ship with swift-openenv, by the name `openenv serve` takes.
///
/// This module is the one place that depends on every environment target; a program that
/// serves only some of them lists their entries itself (each target has its own `entry`).
public enum BuiltinEnvironments {
    public static let all: [EnvironmentEntry] = [
        EchoEnvironment.entry,
        GridEnvironment.entry,
        OpenSpielEnvironment.entry,
        ChessEnvironment.entry,
        TextArenaEnvironment.entry,
        QAEnvironment.entry,
        CodingEnvironment.entry,
        TerminalEnvironment.entry,
        BrowserEnvironment.entry,
        MCPBridgeEnvironment.entry,
        agent,
    ]

    public static func named(_ name: String) -> EnvironmentEntry? { all.first { $0.name == name } }
}
