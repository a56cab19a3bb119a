import Foundation
import OpenEnvCore
import Testing

@testable import OpenEnvBridge

/// The bridge against real MCP servers from PyPI, started from the interop venv.
@Suite(.serialized) struct TimeAndGitServerTests {
    @Test func timeServerToolsAreStepActions() async throws {
        let env = try await MCPBridgeEnvironment(configuration: try InteropPython.module("mcp_server_time"), logger: InteropPython.quietLogger)
        let reset = try await env.reset(seed: nil, episodeID: "ep-1", options: [:])
        #expect(reset.metadata["tools"] == ["get_current_time", "convert_time"])
        #expect(reset.metadata["server"]?["name"] == "mcp-time")

        let tools = try await env.listedTools()
        #expect(tools.map(\.name) == ["get_current_time", "convert_time"])
        #expect(tools[0].inputSchema["required"] == ["timezone"])
        #expect(tools[0].annotations["readOnlyHint"] == true)

        let now = try await env.call("get_current_time", ["timezone": "Europe/Paris"])
        #expect(now.error == nil)
        let text = try #require(now.result["data"]?.stringValue)
        #expect(try JSONParser.parse(text)["timezone"] == "Europe/Paris")
        #expect(now.result["content"]?.arrayValue?.first == ["type": "text", "text": .string(text), "annotations": nil, "meta": nil])
        #expect(now.result["is_error"] == false)

        let converted = try await env.call("convert_time", ["source_timezone": "Etc/UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"])
        #expect(converted.result["data"]?.stringValue?.contains("21:00") == true)

        let missing = try await env.call("get_current_time")
        #expect(missing.error == ToolError(.invalidArgs, "Invalid arguments for tool 'get_current_time': timezone: Field required"))
        #expect(missing.result == .null)
        let wrongType = try await env.call("get_current_time", ["timezone": 5])
        #expect(wrongType.error?.errorType == .invalidArgs)
        let unknown = try await env.call("get_weather", ["city": "Paris"])
        #expect(unknown.error == ToolError(.toolNotFound, "Unknown tool: 'get_weather'"))
        let failed = try await env.call("get_current_time", ["timezone": "Mars/Olympus_Mons"])
        #expect(failed.error?.errorType == .executionError)
        #expect(failed.error?.message.contains("Invalid timezone") == true)

        #expect(await env.state == BasicState(episodeID: "ep-1", stepCount: 7))
        // The JSON-RPC path (tools/call on /mcp) uses the same toolbox; it is not a step.
        let direct = try await env.toolbox.call("get_current_time", arguments: ["timezone": "Asia/Tokyo"])
        #expect(direct.text.contains("Asia/Tokyo"))
        #expect(await env.state.stepCount == 7)
        await env.close()
    }

    @Test func resetRestartsAUsedServerAndCloseKillsIt() async throws {
        let env = try await MCPBridgeEnvironment(configuration: try InteropPython.module("mcp_server_time"), logger: InteropPython.quietLogger)
        let first = try #require(await env.serverProcessID)
        _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
        #expect(await env.serverProcessID == first, "an unused server is kept")
        _ = try await env.call("get_current_time", ["timezone": "Etc/UTC"])
        _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
        let second = try #require(await env.serverProcessID)
        #expect(second != first)
        #expect(await eventually { !isRunning(first) })
        #expect(try await env.call("get_current_time", ["timezone": "Etc/UTC"]).error == nil)
        await env.close()
        #expect(!isRunning(second))
        let afterClose = try await env.call("get_current_time", ["timezone": "Etc/UTC"])
        #expect(afterClose.error?.errorType == .executionError)
    }

    @Test func gitServerWorksOnARepositoryOfItsOwn() async throws {
        let repository = try Self.makeRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await withBridge(try InteropPython.module("mcp_server_git", ["--repository", repository])) { env in
            _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
            let tools = try await env.listedTools().map(\.name)
            #expect(tools.contains("git_status") && tools.contains("git_commit") && tools.contains("git_log"))

            try "hello\n".write(toFile: repository + "/notes.txt", atomically: true, encoding: .utf8)
            let status = try await env.call("git_status", ["repo_path": .string(repository)])
            #expect(status.result["data"]?.stringValue?.contains("notes.txt") == true)
            #expect(try await env.call("git_add", ["repo_path": .string(repository), "files": ["notes.txt"]]).error == nil)
            let commit = try await env.call("git_commit", ["repo_path": .string(repository), "message": "Add notes"])
            #expect(commit.error == nil, "\(String(describing: commit.error))")
            let log = try await env.call("git_log", ["repo_path": .string(repository), "max_count": 5])
            #expect(log.result["data"]?.stringValue?.contains("Add notes") == true)

            // The schema says at least one file: refused before reaching the server.
            let empty = try await env.call("git_add", ["repo_path": .string(repository), "files": []])
            #expect(empty.error == ToolError(.invalidArgs, "Invalid arguments for tool 'git_add': files: List should have at least 1 item"))
            let outside = try await env.call("git_status", ["repo_path": "/"])
            #expect(outside.error?.errorType == .executionError)
        }
    }

    /// A repository with one commit, in a fresh temporary directory.
    static func makeRepository() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-bridge-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "first\n".write(toFile: path + "/README", atomically: true, encoding: .utf8)
        for arguments in [["init", "-q"], ["config", "user.name", "Test"], ["config", "user.email", "test@example.com"], ["add", "README"], ["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qm", "First"]] {
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            git.arguments = ["-C", path] + arguments
            try git.run()
            git.waitUntilExit()
            guard git.terminationStatus == 0 else { throw BridgeTestFailure("git \(arguments) failed") }
        }
        return path
    }
}
