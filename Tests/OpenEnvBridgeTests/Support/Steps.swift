import Foundation
import OpenEnvCore

@testable import OpenEnvBridge

extension MCPBridgeEnvironment {
    /// One `call_tool` step.
    func call(_ tool: String, _ arguments: JSONObject = [:]) async throws -> CallToolObservation {
        let result = try await step(.callTool(CallToolAction(toolName: tool, arguments: arguments)))
        guard case .toolCall(let observation) = result.observation else { throw BridgeTestFailure("expected a tool call observation") }
        return observation
    }

    /// One `list_tools` step.
    func listedTools() async throws -> [ToolDescriptor] {
        guard case .tools(let tools) = try await step(.listTools).observation else { throw BridgeTestFailure("expected a tool list") }
        return tools
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let end = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(end, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Waits up to `limit` for `condition` (process exits are asynchronous).
func eventually(within limit: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// Runs `body` with a bridge environment, closing it (and its server) afterwards.
func withBridge<T>(
    _ configuration: MCPBridgeConfiguration, _ body: (MCPBridgeEnvironment) async throws -> T
) async throws -> T {
    let env = try await MCPBridgeEnvironment(configuration: configuration, logger: InteropPython.quietLogger)
    do {
        let result = try await body(env)
        await env.close()
        return result
    } catch {
        await env.close()
        throw error
    }
}
