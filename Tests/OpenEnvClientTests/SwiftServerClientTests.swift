import OpenEnvClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import Testing

/// The Swift client against the swift-openenv server, in process, over real sockets.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SwiftServerClientTests {
    let grid = EnvironmentFactory { GridEnvironment() }
    let echo = EnvironmentFactory { EchoEnvironment() }

    @Test func typedClientPlaysAGridEpisode() async throws {
        try await withSwiftServer(grid) { server in
            let client = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            let episode = try await playGreedyEpisode(client, seed: 7, episodeID: "ep-7")
            let state = try await client.state()
            #expect(state.episodeID == "ep-7")
            #expect(state.seed == 7)
            #expect(state.reachedGoal)
            #expect(state.stepCount == episode.rewards.count)
            #expect(episode.start.goalRow == state.goalRow && episode.start.goalCol == state.goalCol)
            // /ws carries rewards as produced: floats stay floats, the last one pays 1.0.
            #expect(episode.rewards.last == .double(1.0))
            #expect(episode.rewards.dropLast().allSatisfy { $0 == .double(0.0) })
            await client.close()
            await #expect(throws: OpenEnvError.self) { try await client.state() }
        }
    }

    @Test func genericClientReadsTheSchemaAndSendsRawJSON() async throws {
        try await withSwiftServer(grid) { server in
            let client = try await GenericEnvClient.connect(to: server.address, configuration: testConfiguration())
            let schema = try await client.schema()
            #expect(schema.actionFields.all.contains("action"))
            #expect(schema.actionFields.required == ["action"])
            #expect(schema.state["properties"]?["reached_goal"] != nil)
            let start = try await client.reset(seed: 3)
            #expect(start.reward == nil)
            #expect(start.observation["goal_row"]?.intValue != nil)
            let moved = try await client.step(["action": "UP"])
            #expect(moved.observation["row"] != nil)
            #expect(try await client.state()["step_count"] == 1)
            await client.close()
        }
    }

    @Test func validationErrorsCarryTheServersIssuesAndKeepTheSession() async throws {
        try await withSwiftServer(grid) { server in
            let client = try await GenericEnvClient.connect(to: server.address, configuration: testConfiguration())
            _ = try await client.reset()
            let error = await #expect(throws: OpenEnvError.self) { try await client.step(["action": "UP", "bogus": 1]) }
            guard case .server(let serverError) = error else { throw TestFailure("expected a server error, got \(String(describing: error))") }
            #expect(serverError.code == .validationError)
            #expect(serverError.message == "Invalid message")
            #expect(serverError.errors?.first?["type"] == "extra_forbidden")
            #expect(serverError.errors?.first?["loc"] == ["bogus"])
            // The session survives, and the invalid action was not a step.
            _ = try await client.step(["action": "DOWN"])
            #expect(try await client.state()["step_count"] == 1)
            await client.close()
        }
    }

    @Test func mcpToolsThroughJSONRPCAndThroughStep() async throws {
        try await withSwiftServer(echo) { server in
            let echo = try await MCPToolClient.connect(to: server.address.httpBase, configuration: testConfiguration())
            #expect(await echo.session.sessionID != nil)
            let reset = try await echo.reset(episodeID: "mcp-1")
            #expect(reset.metadata["status"] == "ready")
            let rpcTools = try await echo.listTools()
            let stepTools = try await echo.listTools(via: .step)
            #expect(rpcTools.map(\.name) == ["echo_message", "echo_with_length"])
            #expect(stepTools.map(\.name) == rpcTools.map(\.name))
            #expect(stepTools[0].inputSchema["required"] == ["message"])
            #expect(try await echo.callTool("echo_message", arguments: ["message": "hi"]) == "hi")
            #expect(try await echo.callTool("echo_with_length", arguments: ["message": "hey"], via: .step) == ["message": "hey", "length": 3])

            let missing = await #expect(throws: OpenEnvError.self) { try await echo.callTool("no_such_tool", via: .step) }
            guard case .tool(let toolError) = missing else { throw TestFailure("expected a tool error, got \(String(describing: missing))") }
            #expect(toolError.errorType == .toolNotFound)
            let rpcMissing = await #expect(throws: OpenEnvError.self) { try await echo.callTool("no_such_tool") }
            guard case .rpc(let rpcError) = rpcMissing else { throw TestFailure("expected a JSON-RPC error, got \(String(describing: rpcMissing))") }
            #expect(rpcError.code == RPCError.internalError)

            // Step-route calls are steps (3: list_tools, echo_with_length, the failed call); JSON-RPC calls are not.
            let state = try await echo.state()
            #expect(state["episode_id"] == "mcp-1")
            #expect(state["step_count"] == 3)
            await echo.close()
        }
    }

    @Test func capacityRefusalCarriesTheCountsThenTheSessionIsLost() async throws {
        try await withSwiftServer(grid, configuration: ServerConfiguration(maxSessions: 1)) { server in
            let first = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            _ = try await first.reset()
            let second = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            let refusal = await #expect(throws: OpenEnvError.self) { try await second.reset() }
            guard case .server(let error) = refusal else { throw TestFailure("expected CAPACITY_REACHED, got \(String(describing: refusal))") }
            #expect(error.code == .capacityReached)
            #expect(error.activeSessions == 1 && error.maxSessions == 1)
            let after = await #expect(throws: OpenEnvError.self) { try await second.reset() }
            guard case .sessionLost(.closedByServer) = after else { throw TestFailure("expected a lost session, got \(String(describing: after))") }
            // HTTP session creation is refused the same way, with the same counts.
            let mcp = await #expect(throws: OpenEnvError.self) { try await MCPToolClient.connect(to: server.address.httpBase, configuration: testConfiguration()) }
            guard case .server(let rpcRefusal) = mcp else { throw TestFailure("expected CAPACITY_REACHED, got \(String(describing: mcp))") }
            #expect(rpcRefusal.code == .capacityReached && rpcRefusal.activeSessions == 1 && rpcRefusal.maxSessions == 1)
            await second.close()
            // The first client was never disturbed; once it closes, its slot is free again.
            _ = try await first.step(.init(.down))
            await first.close()
            let third = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            _ = try await third.reset()
            await third.close()
        }
    }

    @Test func aFailingFactoryIsAFactoryErrorWithItsName() async throws {
        let broken = EnvironmentFactory { () async throws -> GridEnvironment in throw TestFailure("no grid today") }
        try await withSwiftServer(broken) { server in
            let client = try await GridClient.connect(to: server.address, configuration: testConfiguration())
            let refusal = await #expect(throws: OpenEnvError.self) { try await client.reset() }
            guard case .server(let error) = refusal else { throw TestFailure("expected FACTORY_ERROR, got \(String(describing: refusal))") }
            #expect(error.code == .factoryError)
            #expect(error.factoryName != nil && error.message.contains(error.factoryName!))
            await client.close()
            let http = await #expect(throws: OpenEnvError.self) { try await GridClient.connect(to: server.address, transport: .httpSession, configuration: testConfiguration()) }
            guard case .server(let rpcError) = http else { throw TestFailure("expected FACTORY_ERROR, got \(String(describing: http))") }
            #expect(rpcError.code == .factoryError && rpcError.factoryName == error.factoryName)
        }
    }

    @Test func aStoppedServerLosesTheSessionAndAReconnectGetsAFreshOne() async throws {
        let server = try await InProcessServer.start(grid)
        let client = try await GridClient.connect(to: server.address, configuration: testConfiguration())
        _ = try await client.reset(seed: 1, episodeID: "doomed")
        _ = try await client.step(.init(.up))
        await server.stop()

        let lost = await #expect(throws: OpenEnvError.self) { try await client.step(.init(.up)) }
        guard case .sessionLost = lost else { throw TestFailure("expected a lost session, got \(String(describing: lost))") }
        // Still lost on the next call: no silent reconnection.
        await #expect(throws: OpenEnvError.self) { try await client.state() }

        // A new server on the same port comes up while the client is retrying.
        async let reconnection = client.reconnectToFreshSession(backoff: Backoff(initialDelay: .milliseconds(100), maxAttempts: 20))
        try await Task.sleep(for: .milliseconds(400))
        let restarted = try await InProcessServer.start(grid, port: server.port)
        let fresh = try await reconnection
        #expect(fresh.attempts > 1)
        #expect(fresh.generation == 2)
        #expect(await client.sessionGeneration == 2)
        await #expect(throws: OpenEnvError.self) { try await client.step(.init(.up)) }
        let state = try await client.state()
        #expect(state.episodeID != "doomed" && state.stepCount == 0)
        _ = try await client.reset(seed: 1)
        _ = try await client.step(.init(.up))
        #expect(try await client.state().stepCount == 1)
        await client.close()
        await restarted.stop()
    }

    @Test func aReplyTimeoutDropsTheConnection() async throws {
        try await withSwiftServer(EnvironmentFactory { SlowEnvironment() }) { server in
            let client = try await EnvClient<SlowEnvironment.Action, SlowEnvironment.Observation, BasicState>
                .connect(to: server.address, configuration: testConfiguration(replyTimeout: .milliseconds(300)))
            _ = try await client.reset()
            let fast = try await client.step(.init(sleepMilliseconds: 10))
            #expect(fast.reward == .int(1))
            let slow = await #expect(throws: OpenEnvError.self) { try await client.step(.init(sleepMilliseconds: 1500)) }
            guard case .replyTimeout = slow else { throw TestFailure("expected a reply timeout, got \(String(describing: slow))") }
            try await Task.sleep(for: .milliseconds(1500))  // the late reply must not answer the next call
            let next = await #expect(throws: OpenEnvError.self) { try await client.state() }
            guard case .sessionLost(.replyTimeout) = next else { throw TestFailure("expected a lost session, got \(String(describing: next))") }
            let fresh = try await client.reconnectToFreshSession()
            #expect(fresh.attempts == 1)
            _ = try await client.reset()
            #expect(try await client.step(.init(sleepMilliseconds: 1)).reward == .int(1))
            await client.close()
        }
    }

    @Test func oversizedRequestsAreRefusedLocallyAndTheSessionGoesOn() async throws {
        try await withSwiftServer(echo) { server in
            var configuration = testConfiguration()
            configuration.maxOutgoingMessageSize = 1024
            let client = try await EnvClient<MCPAction, MCPStepObservation, BasicState>.connect(to: server.address, configuration: configuration)
            _ = try await client.reset()
            let big = String(repeating: "x", count: 2000)
            let refused = await #expect(throws: OpenEnvError.self) {
                try await client.step(.callTool(CallToolAction(toolName: "echo_message", arguments: ["message": .string(big)])))
            }
            guard case .messageTooLarge(let size, 1024) = refused, size > 2000 else { throw TestFailure("expected messageTooLarge, got \(String(describing: refused))") }
            let small = try await client.step(.callTool(CallToolAction(toolName: "echo_message", arguments: ["message": "ok"])))
            guard case .toolCall(let call) = small.observation else { throw TestFailure("expected a tool call, got \(small.observation)") }
            #expect(call.result["data"] == "ok")
            #expect(try await client.state().stepCount == 1)
            await client.close()

            // Within the default limits, megabyte requests go out and replies of several megabytes come back.
            let large = try await EnvClient<MCPAction, MCPStepObservation, BasicState>.connect(to: server.address, configuration: testConfiguration())
            let megabytes = String(repeating: "y", count: 3 << 20)
            let echoed = try await large.step(.callTool(CallToolAction(toolName: "echo_message", arguments: ["message": .string(megabytes)])))
            guard case .toolCall(let bigCall) = echoed.observation else { throw TestFailure("expected a tool call") }
            #expect(bigCall.result["data"]?.stringValue?.count == megabytes.count)
            await large.close()
        }
    }

    @Test func httpTransportsStatelessAndWithASession() async throws {
        try await withSwiftServer(grid) { server in
            // Stateless: every request runs on a fresh environment, as in the reference.
            let stateless = try await GridClient.connect(to: server.address, transport: .http, configuration: testConfiguration())
            #expect(await stateless.sessionID == nil)
            _ = try await stateless.reset(seed: 5)
            _ = try await stateless.step(.init(.down))
            #expect(try await stateless.state().stepCount == 0)
            await stateless.close()

            // With a session: the HTTP routes act on it; rewards arrive as floats.
            let client = try await GridClient.connect(to: server.address, transport: .httpSession, configuration: testConfiguration())
            let id = try #require(await client.sessionID)
            let episode = try await playGreedyEpisode(client, seed: 5, episodeID: "http-ep")
            #expect(episode.last.reward == .double(1.0) && episode.last.done)
            let state = try await client.state()
            #expect(state.episodeID == "http-ep" && state.stepCount == episode.rewards.count)
            await client.close()
            // Closing closed the server's session.
            let again = try await GridClient.connect(to: server.address, transport: .httpSession, configuration: testConfiguration())
            #expect(await again.sessionID != id)
            await again.close()
        }
    }

    @Test func anHTTPSessionTheServerForgotIsLost() async throws {
        let configuration = ServerConfiguration(sessionTimeout: .milliseconds(300))
        try await withSwiftServer(grid, configuration: configuration) { server in
            let client = try await GridClient.connect(to: server.address, transport: .httpSession, configuration: testConfiguration())
            _ = try await client.reset()
            try await Task.sleep(for: .seconds(2))  // the reaper closes the idle session
            let lost = await #expect(throws: OpenEnvError.self) { try await client.step(.init(.down)) }
            guard case .sessionLost(.unknownSession) = lost else { throw TestFailure("expected an unknown session, got \(String(describing: lost))") }
            await client.close()
        }
    }

    @Test func attachedWebSocketTransportForTypedClients() async throws {
        try await withSwiftServer(grid) { server in
            let client = try await GridClient.connect(to: server.address, transport: .attachedWebSocket, configuration: testConfiguration())
            #expect(await client.sessionID != nil)
            let episode = try await playGreedyEpisode(client, seed: 11, episodeID: "attached")
            #expect(episode.last.done)
            await client.close()
        }
    }

    @Test func connectingToNothingFailsClearly() async throws {
        let server = try await InProcessServer.start(grid)
        let address = server.address
        await server.stop()
        let error = await #expect(throws: OpenEnvError.self) { try await GridClient.connect(to: address, configuration: testConfiguration()) }
        guard case .connectionFailed(let url, _) = error else { throw TestFailure("expected connectionFailed, got \(String(describing: error))") }
        #expect(url == address.webSocketURL)
    }
}
