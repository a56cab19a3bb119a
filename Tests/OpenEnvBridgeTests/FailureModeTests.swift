import Foundation
import OpenEnvCore
import Testing

@testable import OpenEnvBridge

/// A server that prints garbage, hangs, crashes or floods its standard error: every call
/// ends with a typed error within the tool timeout, and the session survives.
@Suite(.serialized) struct FailureModeTests {
    static func fake(_ mode: String? = nil, toolTimeout: Duration = .seconds(2), startupTimeout: Duration = .seconds(30)) throws
        -> MCPBridgeConfiguration
    {
        let script = try InteropPython.script(FakeMCPServer.source, named: "fake")
        return MCPBridgeConfiguration(
            server: .command([try InteropPython.path(), script] + (mode.map { [$0] } ?? [])), toolTimeout: toolTimeout,
            startupTimeout: startupTimeout)
    }

    @Test func garbageAndHangsTimeOutAndTheServerLivesOn() async throws {
        try await withBridge(try Self.fake()) { env in
            let clock = ContinuousClock()
            let start = clock.now
            let garbage = try await env.call("garbage")
            #expect(garbage.error?.errorType == .timeout)
            #expect(garbage.error?.message.hasPrefix("Tool 'garbage' timed out after 2.0 seconds; the server printed output that is not JSON-RPC: 'Traceback") == true,
                    "\(String(describing: garbage.error))")
            let hang = try await env.call("hang")
            #expect(hang.error?.errorType == .timeout)
            #expect(clock.now - start < .seconds(6))
            #expect(try await env.call("echo", ["text": "still here"]).result["data"] == "still here")
            // A timeout on the JSON-RPC path (no step deadline there) too.
            await #expect(throws: ToolError.self) { try await env.toolbox.call("hang", arguments: [:]) }
        }
    }

    @Test func aCrashFailsCallsClearlyUntilAReset() async throws {
        try await withBridge(try Self.fake(toolTimeout: .seconds(20))) { env in
            let first = try #require(await env.serverProcessID)
            let clock = ContinuousClock()
            let start = clock.now
            let crash = try await env.call("crash")
            #expect(clock.now - start < .seconds(5), "a crash is noticed at once, not at the timeout")
            #expect(crash.error?.errorType == .executionError)
            #expect(crash.error?.message.contains("the MCP server exited (exited(3))") == true, "\(String(describing: crash.error))")
            let after = try await env.call("echo", ["text": "x"])
            #expect(after.error?.errorType == .executionError)
            #expect(after.error?.message.contains("a reset starts a new one") == true)
            _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
            #expect(await env.serverProcessID != first)
            #expect(try await env.call("echo", ["text": "back"]).result["data"] == "back")
        }
    }

    @Test func resultsErrorsAndServerRequestsAreMapped() async throws {
        // A generous timeout: under a loaded machine, draining 1.1 MB of standard error can take
        // more than 2 s, and a blocked server would still fail the "chatty" call at 30 s.
        try await withBridge(try Self.fake(toolTimeout: .seconds(30))) { env in
            let rich = try await env.call("rich")
            #expect(rich.result["content"] == [
                ["type": "text", "text": "a picture", "annotations": nil, "meta": nil],
                ["type": "image", "data": "aGk=", "mimeType": "image/png", "annotations": nil, "meta": nil],
            ])
            #expect(rich.result["structured_content"] == ["n": 1] && rich.result["data"] == ["n": 1])
            #expect(try await env.call("fail").error == ToolError(.executionError, "the tool failed"))
            #expect(try await env.call("reject").error == ToolError(.invalidArgs, "Invalid arguments for tool 'reject': value out of range"))
            #expect(try await env.call("ping_back").result["data"] == "pong")
            #expect(try await env.call("chatty").result["data"] == "done", "a flooded standard error does not block the server")
            // "step" is a reserved name: the server's tool of that name is not bridged.
            #expect(try await env.listedTools().map(\.name).contains("step") == false)
            #expect(try await env.call("echo", ["text": 1]).error?.errorType == .invalidArgs)
        }
    }

    @Test func aServerThatStopsReadingNeitherBlocksCallsNorClose() async throws {
        let env = try await MCPBridgeEnvironment(configuration: try Self.fake(toolTimeout: .seconds(1)), logger: InteropPython.quietLogger)
        let server = try #require(await env.serverProcessID)
        #expect(try await env.call("deaf").error?.errorType == .timeout)
        // More than a pipe holds: the writes stall, the calls still end at their deadline.
        let big: JSONObject = ["text": .string(String(repeating: "x", count: 300_000))]
        for _ in 0..<3 { #expect(try await env.call("echo", big).error?.errorType == .timeout) }
        let clock = ContinuousClock()
        let start = clock.now
        await env.close()
        #expect(clock.now - start < .seconds(5))
        #expect(!isRunning(server))
    }

    @Test func closeKillsTheWholeProcessGroup() async throws {
        let env = try await MCPBridgeEnvironment(configuration: try Self.fake(), logger: InteropPython.quietLogger)
        let server = try #require(await env.serverProcessID)
        let child = try #require(Int32(try await env.call("spawn_child").result["data"]?.stringValue ?? ""))
        #expect(isRunning(child))
        await env.close()
        #expect(!isRunning(server))
        #expect(await eventually { !isRunning(child) }, "the server's child outlived it")
    }

    @Test func serversThatCannotStartFailTheEnvironmentClearly() async throws {
        await #expect { try await MCPBridgeEnvironment(configuration: try Self.fake("exit-at-once"), logger: InteropPython.quietLogger) } throws: {
            "\($0)".contains("did not start properly") && "\($0)".contains("exited(4)")
        }
        await #expect {
            try await MCPBridgeEnvironment(configuration: try Self.fake("mute", startupTimeout: .seconds(1)), logger: InteropPython.quietLogger)
        } throws: {
            "\($0)".contains("no reply in time")
        }
        await #expect {
            try await MCPBridgeEnvironment(
                configuration: MCPBridgeConfiguration(server: .command(["/nonexistent/mcp-server"])), logger: InteropPython.quietLogger)
        } throws: {
            "\($0)".contains("cannot start the MCP server /nonexistent/mcp-server")
        }
        // A banner on stdout before the handshake is tolerated.
        try await withBridge(try Self.fake("noisy-start")) { env in
            let echoed = try await env.call("echo", ["text": "ok"])
            #expect(echoed.result["data"] == "ok")
        }
    }
}
