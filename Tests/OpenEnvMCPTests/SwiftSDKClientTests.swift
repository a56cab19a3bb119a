import Foundation
import MCP
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import OpenEnvTestSupport
import Testing

/// The standard MCP endpoint (`/mcp/streamable`) driven by the official MCP Swift SDK client.
@Suite struct SwiftSDKClientTests {
    @Test func listsAndCallsEchoToolsOverStreamableHTTP() async throws {
        try await withInProcessServer(EnvironmentFactory { EchoEnvironment() }) { port in
            let client = Client(name: "swift-openenv-tests", version: "1.0.0")
            let transport = HTTPClientTransport(endpoint: URL(string: "http://127.0.0.1:\(port)/mcp/streamable")!, streaming: false)
            let initialized = try await client.connect(transport: transport)
            #expect(initialized.capabilities.tools != nil)
            #expect(initialized.serverInfo.name == "echo_env")

            let (tools, _) = try await client.listTools()
            #expect(tools.map(\.name) == ["echo_message", "echo_with_length"])

            let (content, isError) = try await client.callTool(name: "echo_message", arguments: ["message": "Hello"])
            #expect(isError != true)
            guard case .text(let text, _, _)? = content.first else { Issue.record("no text content: \(content)"); return }
            #expect(text == "Hello")

            let (failure, failed) = try await client.callTool(name: "echo_message", arguments: [:])
            #expect(failed == true, "invalid arguments are a tool error, not a protocol error: \(failure)")
            await client.disconnect()
        }
    }
}
