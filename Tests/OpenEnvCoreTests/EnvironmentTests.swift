import Testing
@testable import OpenEnvCore
@testable import OpenEnvEnvironments

@Suite struct ToolboxTests {
    struct Arguments: Codable, Sendable { var message: String }

    @Test func refusesReservedAndDuplicateNames() throws {
        var toolbox = Toolbox()
        for name in ["reset", "step", "state", "close"] {
            #expect(throws: ToolRegistrationError.reservedName(name)) {
                try toolbox.register(name, description: "") { (a: Arguments) in a.message }
            }
        }
        try toolbox.register("ok", description: "") { (a: Arguments) in a.message }
        #expect(throws: ToolRegistrationError.duplicateName("ok")) {
            try toolbox.register("ok", description: "") { (a: Arguments) in a.message }
        }
    }

    @Test func failuresAreTypedWhereTheyHappen() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        var toolbox = Toolbox()
        try toolbox.register("fail", description: "") { (_: Arguments) -> String in throw Boom() }
        try toolbox.register("slow", description: "") { (_: Arguments) -> String in
            try await Task.sleep(for: .seconds(30))
            return "late"
        }
        let cases: [(String, JSONObject, ToolErrorType)] = [
            ("nope", ["message": "x"], .toolNotFound),
            ("fail", [:], .invalidArgs),
            ("fail", ["message": "x", "extra": 1], .invalidArgs),
            ("fail", ["message": "x"], .executionError),
            ("slow", ["message": "x"], .timeout),
        ]
        for (name, arguments, expected) in cases {
            do {
                _ = try await toolbox.call(name, arguments: arguments, timeout: .milliseconds(100))
                Issue.record("\(name) should fail")
            } catch {
                #expect(error.errorType == expected, "\(name) \(arguments)")
            }
        }
    }

    @Test func stringResultsAreWrappedLikeFastMCP() {
        let result = ToolResult(returning: "hi")
        #expect(result.json == ["content": [["type": "text", "text": "hi", "annotations": nil, "meta": nil]],
                                "structured_content": ["result": "hi"], "meta": ["fastmcp": ["wrap_result": true]],
                                "data": "hi", "is_error": false])
    }
}

@Suite struct EchoEnvironmentTests {
    @Test func everyStepCountsAndToolsEcho() async throws {
        let echo = EchoEnvironment()
        _ = try await echo.reset(seed: nil, episodeID: "ep", options: [:])
        let listed = try await echo.step(.listTools)
        guard case .tools(let tools) = listed.observation else { Issue.record("expected tools"); return }
        #expect(tools.map(\.name) == ["echo_message", "echo_with_length"])
        let called = try await echo.step(.callTool(CallToolAction(toolName: "echo_with_length", arguments: ["message": "Hello"])))
        guard case .toolCall(let call) = called.observation else { Issue.record("expected a call"); return }
        #expect(call.result["data"] == ["message": "Hello", "length": 5])
        _ = try await echo.step(.callTool(CallToolAction(toolName: "missing")))
        #expect(await echo.state == BasicState(episodeID: "ep", stepCount: 3))
    }
}

@Suite struct GridEnvironmentTests {
    /// Layouts CPython gives for `random.Random(seed).sample(range(25), 2)`.
    @Test(arguments: [(0, [12, 24]), (1, [4, 18]), (7, [10, 4]), (42, [20, 3]), (123, [1, 8]), (1_099_511_627_781, [16, 8]), (-3, [7, 18])])
    func seededLayoutsMatchCPython(seed: Int, cells: [Int]) {
        var random = PythonRandom(seed: seed)
        #expect(random.sample(rangeCount: 25, 2) == cells)
    }

    @Test func walkingToTheGoalPaysOnceAndEnds() async throws {
        let grid = GridEnvironment()
        let start = try await grid.reset(seed: nil, episodeID: nil, options: [:])
        #expect(start.observation.row == 0 && start.observation.goalRow == 4 && start.reward == nil)
        let wall = try await grid.step(.init(.up))
        #expect(wall.observation.hitWall && wall.reward == 0.0)
        var last = wall
        for move in [GridEnvironment.Move.down, .down, .down, .down, .right, .right, .right, .right] {
            last = try await grid.step(.init(move))
        }
        #expect(last.reward == 1.0 && last.done)
        let after = try await grid.step(.init(.left))
        #expect(after.reward == 0.0 && after.done && after.observation.col == 4)
        #expect(await grid.state.stepCount == 10)
    }
}
