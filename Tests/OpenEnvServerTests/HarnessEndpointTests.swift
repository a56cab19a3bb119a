import OpenEnvAgents
import OpenEnvChatClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import OpenEnvTestSupport
import Testing

/// `/harness` (spec §2.9) with the agent harness environment and a local chat-completions server.
@Suite struct HarnessEndpointTests {
    static func harness(_ model: ChatCompletionsServer, turnTimeout: Duration = .seconds(600)) -> EnvironmentFactory {
        var configuration = ChatModelConfiguration(baseURL: model.baseURL, model: "test-model")
        configuration.policy.maxAttempts = 1
        let agent = AgentConfiguration(model: configuration)
        return EnvironmentFactory {
            try await AgentHarnessEnvironment(tools: try await EnvironmentFactory { EchoEnvironment() }.make(), configuration: agent, turnTimeout: turnTimeout)
        }
    }

    static let production = ServerConfiguration(port: 0, mode: .production)

    /// Reads frames until `turn_complete` or a terminal `error` event; `nil` entries mean the
    /// connection closed.
    static func turn(_ socket: SocketScript) async throws -> [JSONValue] {
        var frames: [JSONValue] = []
        while let frame = try await socket.receive() {
            frames.append(frame)
            if frame["type"] == "turn_complete" || frame["type"] == "error" { break }
        }
        return frames
    }

    @Test func startsASessionAndStreamsEachTurn() async throws {
        try await ChatCompletionsServer.with { model in
            try await withServer(Self.harness(model), configuration: Self.production) { server in
                try await server.socket("/harness") { socket in
                    let started = try #require(try await socket.receiveText())
                    let parsed = try JSONParser.parse(started)
                    let id = try #require(parsed["data"]?["session_id"]?.stringValue)
                    #expect(started == "{\"type\": \"session_started\", \"data\": {\"session_id\": \"\(id)\", \"harness\": \"openenv-llm-agent\"}}")
                    #expect(try await server.http("GET", "/ready").1["active_sessions"] == 1)

                    for text in ["first", "second"] {
                        try await socket.send(["type": "message", "content": .string(text)])
                        let frames = try await Self.turn(socket)
                        #expect(frames.compactMap { $0["type"]?.stringValue } == [
                            "llm_request", "llm_response", "tool_call", "tool_result", "llm_request", "llm_response", "text_output", "turn_complete",
                        ])
                        #expect(frames.allSatisfy { $0["timestamp"]?.doubleValue ?? 0 > 1_700_000_000 })
                        #expect(frames[2]["data"] == ["tool_name": "echo_message", "arguments": ["message": .string(text)]])
                        #expect(frames.last?["data"] == ["response": .string("The tool answered: \(text)"), "done": false])
                    }
                }
                // The session ends with its connection.
                for _ in 0..<100 where try await server.http("GET", "/ready").1["active_sessions"] != 0 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(try await server.http("GET", "/ready").1["active_sessions"] == 0)
            }
        }
    }

    @Test func malformedFramesGetARecoverableProtocolError() async throws {
        try await ChatCompletionsServer.with { model in
            try await withServer(Self.harness(model), configuration: Self.production) { server in
                try await server.socket("/harness") { socket in
                    _ = try await socket.receive()
                    let invalid = try await socket.roundTrip(text: "{bad")
                    #expect(invalid == ["type": "protocol_error", "data": [
                        "message": "Invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)", "code": "INVALID_JSON"]])
                    let wrong = try await socket.roundTrip(["type": "x", "content": 3])
                    #expect(wrong["data"]?["code"] == "VALIDATION_ERROR")
                    #expect(wrong["data"]?["message"]?.stringValue == """
                        Invalid message: 2 validation errors for HarnessClientMessage
                        type
                          Input should be 'message' [type=literal_error, input_value='x', input_type=str]
                            For further information visit https://errors.pydantic.dev/2.14/v/literal_error
                        content
                          Input should be a valid string [type=string_type, input_value=3, input_type=int]
                            For further information visit https://errors.pydantic.dev/2.14/v/string_type
                        """)
                    let missing = try await socket.roundTrip(["type": "message"])
                    #expect(missing["data"]?["message"]?.stringValue?.contains("content\n  Field required [type=missing, input_value={'type': 'message'}, input_type=dict]") == true)
                    let list = try await socket.roundTrip([1])
                    #expect(list["data"]?["message"] == "Invalid message: openenv.core.harness.events.HarnessClientMessage() argument after ** must be a mapping, not list")
                    // The connection is still usable.
                    try await socket.send(["type": "message", "content": "still here"])
                    #expect(try await Self.turn(socket).last?["type"] == "turn_complete")
                }
            }
        }
    }

    @Test func aFailedTurnEndsTheSessionWithATerminalError() async throws {
        try await ChatCompletionsServer.with({ request in
            request["messages"]?.arrayValue?.last?["content"] == "crash" ? .failure(500, "secret upstream detail") : ChatReply.toolUser(request)
        }) { model in
            try await withServer(Self.harness(model), configuration: Self.production) { server in
                try await server.socket("/harness") { socket in
                    _ = try await socket.receive()
                    try await socket.send(["type": "message", "content": "crash"])
                    let frames = try await Self.turn(socket)
                    #expect(frames.last?["type"] == "error")
                    #expect(frames.last?["data"] == ["message": "harness turn failed", "recoverable": false], "details stay on the server")
                    #expect(try await socket.receive() == nil, "the connection closes")
                }
                #expect(try await server.http("GET", "/ready").1["active_sessions"] == 0)
            }
        }
    }

    @Test func aTurnPastTheDeadlineEndsTheSession() async throws {
        try await ChatCompletionsServer.with({ request in
            var reply = ChatReply.toolUser(request)
            reply.delay = .seconds(5)
            return reply
        }) { model in
            try await withServer(Self.harness(model, turnTimeout: .milliseconds(300)), configuration: Self.production) { server in
                try await server.socket("/harness") { socket in
                    _ = try await socket.receive()
                    try await socket.send(["type": "message", "content": "slow"])
                    let frames = try await Self.turn(socket)
                    #expect(frames.last?["data"] == ["message": "harness turn exceeded 0.3 seconds", "recoverable": false])
                    #expect(try await socket.receive() == nil)
                }
            }
        }
    }

    @Test func aClientLeavingMidTurnStopsTheTurn() async throws {
        try await ChatCompletionsServer.with({ request in
            var reply = ChatReply.toolUser(request)
            reply.delay = .milliseconds(500)
            return reply
        }) { model in
            try await withServer(Self.harness(model), configuration: Self.production) { server in
                try await server.socket("/harness") { socket in
                    _ = try await socket.receive()
                    try await socket.send(["type": "message", "content": "going away"])
                    // Leave at once: the connection closes when this script returns.
                }
                for _ in 0..<150 where try await server.http("GET", "/ready").1["active_sessions"] != 0 { try await Task.sleep(for: .milliseconds(20)) }
                #expect(try await server.http("GET", "/ready").1["active_sessions"] == 0)
                try await Task.sleep(for: .seconds(1))
                // A finished turn makes two model calls; the turn stopped at its first event after the client left.
                #expect(await model.log.requests.count <= 1)
            }
        }
    }

    @Test func capacityIsEnforcedAndTheRouteExistsOnlyForHarnessesInProduction() async throws {
        try await ChatCompletionsServer.with { model in
            var oneSession = Self.production
            oneSession.maxSessions = 1
            try await withServer(Self.harness(model), configuration: oneSession) { server in
                try await server.socket("/harness") { first in
                    _ = try await first.receive()
                    try await server.socket("/harness") { second in
                        let refused = try await second.receive()
                        #expect(refused == ["type": "error", "data": [
                            "message": "Server at capacity: 1/1 sessions active. Cannot accept new connections.", "code": "CAPACITY_REACHED"]])
                        #expect(try await second.receive() == nil)
                    }
                }
            }
            try await withServer(Self.harness(model)) { server in
                await #expect(throws: (any Error).self, "simulation mode has no /harness") { try await server.socket("/harness") { _ in } }
                let (status, _) = try await server.http("GET", "/harness")
                #expect(status == 404)
            }
            try await withServer(EnvironmentFactory { EchoEnvironment() }, configuration: Self.production) { server in
                await #expect(throws: (any Error).self, "only harness environments have /harness") { try await server.socket("/harness") { _ in } }
            }
        }
    }
}
