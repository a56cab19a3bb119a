import OpenEnvCore
import OpenEnvEnvironments
import Testing

@testable import OpenEnvBridge

/// `openenv serve mcp-bridge …`: the registry entry and its options.
@Suite struct RegistryTests {
    private let entry = BuiltinEnvironments.named("mcp-bridge")!

    @Test func isListedAsAnMCPEnvironment() {
        #expect(entry.kind == "mcp")
        #expect(entry.description == MCPBridgeEnvironment.info.description)
        #expect(MCPBridgeEnvironment.info.defaultMaxSessions == 32)
    }

    @Test func refusesToStartWithoutExactlyOneServer() async {
        await #expect { _ = try await entry.configure(EnvironmentOptions()) } throws: {
            "\($0)".hasPrefix("mcp-bridge needs the MCP server to bridge: a command after --")
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(command: ["x"], mcpURL: "http://127.0.0.1:9/mcp")) } throws: {
            "\($0)" == "mcp-bridge takes either a command after -- or --mcp-url, not both"
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(mcpURL: "127.0.0.1:9/mcp")) } throws: {
            "\($0)".contains("must be an http:// or https:// URL")
        }
        await #expect { _ = try await entry.configure(EnvironmentOptions(command: ["/nonexistent/server"])) } throws: {
            "\($0)".hasPrefix("mcp-bridge cannot use the MCP server: cannot start the MCP server /nonexistent/server")
        }
    }

    @Test func otherEnvironmentsRefuseBridgeOptions() async throws {
        let echo = BuiltinEnvironments.named("echo")!
        await #expect { _ = try await echo.configure(EnvironmentOptions(command: ["x"], toolTimeout: .seconds(3))) } throws: {
            "\($0)" == "echo does not take these mcp-bridge options: a command after --, --tool-timeout"
        }
        #expect(try await echo.configure(EnvironmentOptions()).info.envName == "echo_env")
    }

    @Test func configuresTheBridgedCommandAndTimeout() async throws {
        let factory = try await entry.configure(
            EnvironmentOptions(command: [try InteropPython.path(), "-m", "mcp_server_time"], toolTimeout: .seconds(7)))
        #expect(factory.info.envName == "mcp_bridge" && factory.providesTools && factory.acceptsMCPActions)
    }
}
