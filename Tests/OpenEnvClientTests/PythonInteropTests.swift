import OpenEnvClient
import OpenEnvEnvironments
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Swift client against the official Python server (`Tests/Interop/reference_env.py`
/// on openenv 0.10.0), started as a real process by ``LocalProcessProvider``. Needs
/// `OPENENV_INTEROP_PYTHON`; without it every test here fails with a message saying so.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PythonInteropTests {
    @Test func mcpEchoThroughJSONRPCAndStep() async throws {
        let echo = try await MCPToolClient.launch(try ExternalServers.python("echo"), configuration: testConfiguration())
        do {
            let reset = try await echo.reset(episodeID: "py-echo")
            #expect(reset.reward == .double(0.0))
            #expect(reset.metadata == ["status": "ready", "message": "Echo environment ready!"])
            let tools = try await echo.listTools()
            #expect(tools.map(\.name).sorted() == ["echo_message", "echo_with_length"])
            #expect(tools.first { $0.name == "echo_message" }?.inputSchema["required"] == ["message"])
            #expect(try await echo.listTools(via: .step).map(\.name).sorted() == ["echo_message", "echo_with_length"])
            #expect(try await echo.callTool("echo_message", arguments: ["message": "hi"]) == "hi")
            #expect(try await echo.callTool("echo_with_length", arguments: ["message": "hey"]) == ["message": "hey", "length": 3])
            #expect(try await echo.callTool("echo_message", arguments: ["message": "via step"], via: .step) == "via step")

            let stepError = await #expect(throws: OpenEnvError.self) { try await echo.callTool("no_such_tool", via: .step) }
            guard case .tool(let toolError) = stepError else { throw TestFailure("expected a tool error, got \(String(describing: stepError))") }
            #expect(toolError.errorType == .toolNotFound)
            let rpcError = await #expect(throws: OpenEnvError.self) { try await echo.callTool("no_such_tool") }
            guard case .rpc(let rpc) = rpcError else { throw TestFailure("expected a JSON-RPC error, got \(String(describing: rpcError))") }
            #expect(rpc.code == RPCError.internalError && rpc.message == "Unknown tool: 'no_such_tool'")

            let state = try await echo.state()
            #expect(state["episode_id"] == "py-echo")
            #expect(state["step_count"] == 3)  // list_tools, the echo step, the failed step
        } catch {
            await echo.close()
            throw error
        }
        await echo.close()
    }

    @Test func typedGridPlaysLikeTheSwiftServer() async throws {
        let python = try await GridClient.launch(try ExternalServers.python("grid"), configuration: testConfiguration())
        let swift = try await InProcessServer.start(EnvironmentFactory { GridEnvironment() })
        let local = try await GridClient.connect(to: swift.address, configuration: testConfiguration())
        do {
            for seed in [0, 7, 42] {
                let remote = try await playGreedyEpisode(python, seed: seed, episodeID: "py-\(seed)")
                let here = try await playGreedyEpisode(local, seed: seed, episodeID: "sw-\(seed)")
                #expect(remote.start == here.start, "seed \(seed): the two servers laid the grid out differently")
                #expect(remote.rewards == here.rewards)
                #expect(remote.last.reward == .double(1.0) && remote.last.done)
                let state = try await python.state()
                #expect(state.episodeID == "py-\(seed)" && state.seed == seed && state.reachedGoal)
                #expect(state.stepCount == remote.rewards.count)
            }
            // A reset without a seed: agent (0,0), goal (4,4), null reward.
            let start = try await python.reset()
            #expect(start.reward == nil)
            #expect(start.observation.row == 0 && start.observation.goalRow == 4)
        } catch {
            await python.close()
            await local.close()
            await swift.stop()
            throw error
        }
        await python.close()
        await local.close()
        await swift.stop()
    }

    @Test func invalidActionsAreValidationErrorsWithTheIssues() async throws {
        let provider = try ExternalServers.python("grid")
        let server = try await provider.start()
        do {
            let client = try await GenericEnvClient.connect(to: server.address, configuration: testConfiguration())
            _ = try await client.reset()
            let bogus = await #expect(throws: OpenEnvError.self) { try await client.step(["action": "UP", "bogus": 1]) }
            guard case .server(let extra) = bogus else { throw TestFailure("expected VALIDATION_ERROR, got \(String(describing: bogus))") }
            #expect(extra.code == .validationError && extra.message == "Invalid message")
            #expect(extra.errors?.first?["type"] == "extra_forbidden" && extra.errors?.first?["loc"] == ["bogus"])
            let sideways = await #expect(throws: OpenEnvError.self) { try await client.step(["action": "SIDEWAYS"]) }
            guard case .server(let literal) = sideways else { throw TestFailure("expected VALIDATION_ERROR, got \(String(describing: sideways))") }
            #expect(literal.errors?.first?["type"] == "literal_error")
            // The session survives; invalid actions were not steps.
            _ = try await client.step(["action": "DOWN"])
            #expect(try await client.state()["step_count"] == 1)
            // HTTP /step reports the same as 422 with FastAPI's detail.
            let http = try await GenericEnvClient.connect(to: server.address, transport: .http, configuration: testConfiguration())
            let status = await #expect(throws: OpenEnvError.self) { try await http.step(["bogus": 1]) }
            guard case .httpStatus(422, let body) = status else { throw TestFailure("expected HTTP 422, got \(String(describing: status))") }
            #expect(body["detail"]?.arrayValue?.isEmpty == false)
            await http.close()
            await client.close()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func capacityRefusalWithOneSession() async throws {
        let server = try await ExternalServers.python("grid", maxSessions: 1).start()
        do {
            let first = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            _ = try await first.reset()
            let second = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            let refusal = await #expect(throws: OpenEnvError.self) { try await second.reset() }
            guard case .server(let error) = refusal else { throw TestFailure("expected CAPACITY_REACHED, got \(String(describing: refusal))") }
            #expect(error.code == .capacityReached)
            #expect(error.activeSessions == 1 && error.maxSessions == 1)
            #expect(error.message == "Server at capacity: 1/1 sessions active. Cannot accept new connections.")
            let after = await #expect(throws: OpenEnvError.self) { try await second.state() }
            guard case .sessionLost = after else { throw TestFailure("expected a lost session, got \(String(describing: after))") }
            let mcp = await #expect(throws: OpenEnvError.self) { try await MCPToolClient.connect(to: server.address.httpBase, configuration: testConfiguration()) }
            guard case .server(let rpcRefusal) = mcp else { throw TestFailure("expected CAPACITY_REACHED, got \(String(describing: mcp))") }
            #expect(rpcRefusal.code == .capacityReached && rpcRefusal.activeSessions == 1 && rpcRefusal.maxSessions == 1)
            // Closing the first frees the slot; a reconnection of the refused client then works.
            await first.close()
            try await second.reconnectToFreshSession(backoff: Backoff(maxAttempts: 20))
            _ = try await second.reset()
            await second.close()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func aServerKilledMidEpisodeIsALostSessionThenAFreshOne() async throws {
        let provider = try ExternalServers.python("grid")
        let server = try await provider.start()
        let port = try #require(Int(server.address.authorityAndPath.split(separator: ":").last ?? ""))
        let client = try await GridClient.connect(to: server.address, configuration: testConfiguration())
        var replacement: LocalServerProcess?
        do {
            _ = try await client.reset(seed: 3, episodeID: "killed")
            _ = try await client.step(.init(.down))
            kill(server.processID, SIGKILL)
            await server.waitForExit()
            #expect(await server.termination != nil)

            let lost = await #expect(throws: OpenEnvError.self) { try await client.step(.init(.down)) }
            guard case .sessionLost = lost else { throw TestFailure("expected a lost session, got \(String(describing: lost))") }
            await #expect(throws: OpenEnvError.self) { try await client.state() }  // still lost: no silent reconnection

            // Reconnect while a new server starts on the same port (Python needs seconds).
            async let reconnection = client.reconnectToFreshSession(backoff: Backoff(initialDelay: .milliseconds(200), maxDelay: .seconds(1), maxAttempts: 60))
            var again = provider
            again.port = port
            replacement = try await again.start()
            let fresh = try await reconnection
            #expect(fresh.generation == 2 && fresh.attempts > 1)
            let refused = await #expect(throws: OpenEnvError.self) { try await client.step(.init(.down)) }
            guard case .resetRequired = refused else { throw TestFailure("expected resetRequired, got \(String(describing: refused))") }
            let state = try await client.state()
            #expect(state.episodeID != "killed" && state.stepCount == 0)
            _ = try await client.reset(seed: 3, episodeID: "second life")
            _ = try await client.step(.init(.down))
            #expect(try await client.state().stepCount == 1)
        } catch {
            await client.close()
            await server.stop()
            await replacement?.stop()
            throw error
        }
        await client.close()
        await replacement?.stop()
    }
}
