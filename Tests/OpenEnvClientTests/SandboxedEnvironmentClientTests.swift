import OpenEnvClient
import Testing

/// Our client drives the sandboxed environments served by `openenv serve coding|terminal`
/// (real processes, real bubblewrap sandboxes).
@Suite(.serialized, .timeLimit(.minutes(2))) struct SandboxedEnvironmentClientTests {
    @Test func codingKeepsInterpreterStateAcrossSteps() async throws {
        let server = try await ExternalServers.openenv("coding").start()
        let client = try await GenericEnvClient.connect(to: server.address, configuration: testConfiguration())
        _ = try await client.reset()
        let first = try await client.step(["code": "x = 21\nprint(x * 2)"])
        #expect(first.observation["stdout"]?.stringValue == "42\n")
        let second = try await client.step(["code": "print(x)\n1/0"])
        #expect(second.observation["stdout"]?.stringValue == "21\n")
        #expect(second.observation["metadata"]?["exception"]?["type"]?.stringValue == "ZeroDivisionError")
        #expect(second.reward == .double(0.1), "the reference coding_env's reward: safe, short, parses")
        await client.close()
        await server.stop()
    }

    @Test func terminalKeepsTheWorkingDirectory() async throws {
        let server = try await ExternalServers.openenv("terminal").start()
        let client = try await GenericEnvClient.connect(to: server.address, configuration: testConfiguration())
        _ = try await client.reset()
        _ = try await client.step(["command": "mkdir -p sub && cd sub"])
        let pwd = try await client.step(["command": "pwd"])
        #expect(pwd.observation["output"]?.stringValue?.contains("/sub") == true)
        #expect(pwd.observation["exit_code"]?.intValue == 0)
        await client.close()
        await server.stop()
    }
}
