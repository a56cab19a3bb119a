import Foundation
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvTestSupport
import Testing

@testable import OpenEnvBridge

/// The bridge over Streamable HTTP: against this project's own standard endpoint
/// (`/mcp/streamable`, JSON answers) and against the Python MCP SDK's FastMCP server,
/// answering with event streams or with JSON.
@Suite(.serialized) struct StreamableHTTPTests {
    @Test func bridgesTheEchoEnvironmentsStandardEndpoint() async throws {
        try await withInProcessServer(EnvironmentFactory { EchoEnvironment() }) { port in
            let base = "http://127.0.0.1:\(port)"
            try await withBridge(MCPBridgeConfiguration(server: .url(base + "/mcp/streamable"))) { env in
                #expect(try await HTTP.get(base + "/ready")["active_sessions"] == 1)
                let reset = try await env.reset(seed: nil, episodeID: nil, options: [:])
                #expect(reset.metadata["tools"] == ["echo_message", "echo_with_length"])
                #expect(reset.metadata["server"]?["name"] == "echo_env")
                let plain = try await env.call("echo_message", ["message": "hi"])
                #expect(plain.result["data"] == "hi", "FastMCP's wrapped result is unwrapped")
                let sized = try await env.call("echo_with_length", ["message": "hello"])
                #expect(sized.result["data"] == ["message": "hello", "length": 5])
                #expect(try await env.call("echo_message").error?.errorType == .invalidArgs)
                // A used session is replaced on reset: the old MCP session is deleted.
                _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
                #expect(try await HTTP.get(base + "/ready")["active_sessions"] == 1)
                #expect(try await env.call("echo_message", ["message": "again"]).result["data"] == "again")
            }
            #expect(try await HTTP.get(base + "/ready")["active_sessions"] == 0, "close deletes the MCP session")
        }
    }

    @Test(arguments: ["sse", "json"]) func bridgesThePythonSDKServer(answering mode: String) async throws {
        try await withPythonHTTPServer(mode) { url in
            try await withBridge(MCPBridgeConfiguration(server: .url(url), toolTimeout: .seconds(1))) { env in
                #expect(try await env.listedTools().map(\.name) == ["add", "shout", "slow"])
                let sum = try await env.call("add", ["a": 2, "b": 3])
                #expect(sum.result["structured_content"] == ["result": 5])
                #expect(sum.result["content"]?.arrayValue?.first?["text"] == "5")
                #expect(try await env.call("shout", ["text": "hi"]).result["structured_content"] == ["result": "HI"])
                #expect(try await env.call("add", ["a": "two", "b": 3]).error?.errorType == .invalidArgs)
                let slow = try await env.call("slow")
                #expect(slow.error == ToolError(.timeout, "Tool 'slow' timed out after 1.0 seconds"))
                #expect(try await env.call("add", ["a": 1, "b": 1]).result["structured_content"] == ["result": 2])
            }
        }
    }

    @Test func anUnreachableServerFailsTheEnvironmentClearly() async throws {
        await #expect {
            try await MCPBridgeEnvironment(
                configuration: MCPBridgeConfiguration(server: .url("http://127.0.0.1:1/mcp")), logger: InteropPython.quietLogger)
        } throws: {
            "\($0)".contains("cannot be reached")
        }
    }

    @Test func bridgedToolsAnswerTheOpenEnvJSONRPCDialect() async throws {
        let factory = MCPBridgeEnvironment.factory(try InteropPython.module("mcp_server_time"), logger: InteropPython.quietLogger)
        try await withInProcessServer(factory) { port in
            let url = "http://127.0.0.1:\(port)/mcp"
            let listed = try await HTTP.post(url, ["jsonrpc": "2.0", "id": 1, "method": "tools/list"])
            #expect(listed["result"]?["tools"]?.arrayValue?.first?["name"] == "get_current_time")
            #expect(listed["result"]?["tools"]?.arrayValue?.first?["inputSchema"]?["required"] == ["timezone"])
            let called = try await HTTP.post(url, ["jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                                   "params": ["name": "get_current_time", "arguments": ["timezone": "Etc/UTC"]]])
            #expect(called["result"]?["data"]?.stringValue?.contains("Etc/UTC") == true)
            let bad = try await HTTP.post(url, ["jsonrpc": "2.0", "id": 3, "method": "tools/call",
                                                "params": ["name": "get_current_time", "arguments": [:]]])
            #expect(bad["error"]?["code"] == -32603)
            #expect(bad["error"]?["message"] == "Invalid arguments for tool 'get_current_time': timezone: Field required")
        }
    }

    /// Runs the Python SDK's FastMCP over Streamable HTTP (`sse`: event-stream answers,
    /// `json`: JSON answers) for `body`, which gets its endpoint URL.
    private func withPythonHTTPServer(_ mode: String, _ body: (String) async throws -> Void) async throws {
        let script = try InteropPython.script(Self.pythonServer, named: "http")
        let (process, events) = try await ServerProcess.spawn(
            [try InteropPython.path(), script, mode], maxLineLength: 4096, logger: InteropPython.quietLogger)
        do {
            var port: JSONValue?
            for await event in events {
                if case .frame(.line(let line)) = event { port = try JSONParser.parse(line)["port"]; break }
            }
            guard let port = port?.intValue else { throw BridgeTestFailure("the Python MCP server did not start") }
            try await body("http://127.0.0.1:\(port)/mcp")
            await process.terminate()
        } catch {
            await process.terminate()
            throw error
        }
    }

    static let pythonServer = #"""
import json, socket, sys
import anyio, uvicorn
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("python-http", json_response=sys.argv[1] == "json")

@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b

@mcp.tool()
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()

@mcp.tool()
async def slow() -> str:
    """Take ten seconds."""
    await anyio.sleep(10)
    return "late"

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
server = uvicorn.Server(uvicorn.Config(mcp.streamable_http_app(), log_level="warning"))
anyio.run(lambda: server.serve(sockets=[sock]))
"""#
}
