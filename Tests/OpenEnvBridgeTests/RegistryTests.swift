import OpenEnvCore
import OpenEnvEnvironments
import Testing

@testable import OpenEnvBridge

/// `openenv serve mcp-bridge …`: the registry entry and its options.
@Suite struct RegistryTests {
    private let entry = MCPBridgeEnvironment.entry

    @Test func isListedAsAnMCPEnvironment() {
        #expect(entry.kind == .mcp)
        #expect(entry.description == MCPBridgeEnvironment.info.description)
        #expect(MCPBridgeEnvironment.info.defaultMaxSessions == 32)
    }

    @Test func refusesToStartWithoutExactlyOneServer() async {
        await #expect { _ = try await entry.configure(EnvironmentOptions()) } throws: {
            "\($0)".hasPrefix("mcp-bridge needs the MCP server to bridge: a command after --")
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(values: [("--mcp-url", "http://127.0.0.1:9/mcp")], arguments: ["x"])) } throws: {
            "\($0)" == "mcp-bridge takes either a command after -- or --mcp-url, not both"
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(values: [("--mcp-url", "127.0.0.1:9/mcp")])) } throws: {
            "\($0)".contains("must be an http:// or https:// URL")
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(arguments: ["/nonexistent/server"])) } throws: {
            "\($0)".hasPrefix("mcp-bridge cannot use the MCP server: cannot start the MCP server /nonexistent/server")
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(values: [("--tool-timeout", "0")], arguments: ["x"])) } throws: {
            "\($0)" == "--tool-timeout must be a positive number of seconds, not '0'"
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(values: [("--level", "1")], arguments: ["x"])) } throws: {
            "\($0)" == "mcp-bridge does not take these options: --level"
        }
    }

    @Test func otherEnvironmentsRefuseBridgeOptions() async throws {
        let echo = EchoEnvironment.entry
        await #expect { _ = try await echo.configure(EnvironmentOptions(values: [("--tool-timeout", "3")], arguments: ["x"])) } throws: {
            "\($0)" == "echo does not take these options: --tool-timeout, a command after --"
        }
        #expect(try await echo.configure(EnvironmentOptions()).info.envName == "echo_env")
    }

    @Test func configuresTheBridgedCommandAndTimeout() async throws {
        let factory = try await entry.configure(
            EnvironmentOptions(values: [("--tool-timeout", "7")], arguments: [try InteropPython.path(), "-m", "mcp_server_time"]))
        #expect(factory.info.envName == "mcp_bridge" && factory.providesTools && factory.acceptsMCPActions)
        let configuration = try MCPBridgeEnvironment.configuration(EnvironmentOptions(values: [("--tool-timeout", "2.5")], arguments: ["x"]))
        #expect(configuration.toolTimeout == .milliseconds(2500) && configuration.server == .command(["x"]))
    }
}
