import OpenEnvCore
import OpenEnvEnvironments
import Testing
@testable import OpenEnvServer

/// Batched stepping (`/ws?num_envs=N`) inside the server: the step fast path against the
/// tree path it replaces, the session slots a vector holds, and the deadline over a whole
/// message. (Its results against N single sessions are checked in Tests/Interop/test_vector.py.)
@Suite(.serialized) struct VectorSessionTests {
    /// `action` with every key's first letter escaped (`{"\u0061ction":…}`): the same JSON
    /// document, which the byte scanner declines, so the message takes the tree path.
    static func escapedKeys(_ action: JSONObject) -> String {
        let members = action.map { member -> String in
            let key = member.key
            let first = key.unicodeScalars.first!.value
            let escaped = "\\u" + String(repeating: "0", count: 4 - String(first, radix: 16).count) + String(first, radix: 16) + key.dropFirst()
            return "\"\(escaped)\":\(JSONWriter().string(member.value))"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// How one side of ``repliesAgree`` is served and written.
    struct Side: Sendable {
        /// ``ServerConfiguration/vectorThreads``.
        var threads: Int = 1
        /// Action keys escaped, so the step messages take the tree path.
        var escaped = false

        func configuration(sessions: Int) -> ServerConfiguration {
            var configuration = ServerConfiguration(port: 0, maxSessions: sessions)
            configuration.vectorThreads = threads
            return configuration
        }

        func message(_ actions: [JSONObject]) -> String {
            escaped
                ? #"{"type": "step", "data": {"actions": ["# + actions.map(VectorSessionTests.escapedKeys).joined(separator: ", ") + "]}}"
                : #"{"type":"step","data":{"actions":["# + actions.map { JSONWriter().string(.object($0)) }.joined(separator: ",") + "]}}"
        }
    }

    /// Two vectors of `n` of the same environments and seed, each on its own server, driven
    /// with the same messages written as their side says: every reply, errors (up to two
    /// invalid actions in one message) and autoresets included, must be the same text.
    static func repliesAgree(
        _ factory: EnvironmentFactory, n: Int = 8, _ left: Side, _ right: Side,
        actions: [JSONObject], invalid: JSONObject, invalidCode: String, steps: Int
    ) async throws -> (fast: Int, autoresets: Int) {
        #expect(try await factory.make().fastStep != nil, "the environment must take the fast path, or this compares the tree path with itself")
        let tally = Tally()
        try await withServer(factory, configuration: left.configuration(sessions: n)) { leftServer in
            try await withServer(factory, configuration: right.configuration(sessions: n)) { rightServer in
                try await leftServer.socket("/ws?num_envs=\(n)") { a in
                    try await rightServer.socket("/ws?num_envs=\(n)") { b in
                        let reset = #"{"type":"reset","data":{"seed":77}}"#
                        #expect(try await a.roundTripText(reset) == (try await b.roundTripText(reset)))
                        var random = SplitMix64(seed: 5)
                        for step in 0..<steps {
                            var chosen = (0..<n).map { _ in actions[Int(random.next(below: UInt64(actions.count)))] }
                            if step % 17 == 16 {
                                for _ in 0...random.next(below: 2) { chosen[Int(random.next(below: UInt64(n)))] = invalid }
                            }
                            let replyA = try await a.roundTripText(left.message(chosen))
                            let replyB = try await b.roundTripText(right.message(chosen))
                            #expect(replyA == replyB, "step \(step)\n\(left.message(chosen))\n\(replyA)\n\(replyB)")
                            let reply = try JSONParser.parse(Array(replyA.utf8))
                            if reply["type"] == "vector_observation" {
                                tally.fast += 1
                                tally.autoresets += reply["data"]?["autoreset"]?.arrayValue?.filter { $0 == true }.count ?? 0
                            } else {
                                #expect(reply["data"]?["code"] == .string(invalidCode), "\(replyA)")
                            }
                        }
                        // States carry each episode's generated id: equal apart from it.
                        func states(_ socket: SocketScript) async throws -> [JSONValue] {
                            let reply = try await socket.roundTrip(["type": "state"])
                            return try #require(reply["data"]?["states"]?.arrayValue).map { state in
                                guard case .object(var object) = state else { return state }
                                #expect(object["episode_id"] != nil)
                                object["episode_id"] = nil
                                return .object(object)
                            }
                        }
                        let statesA = try await states(a)
                        #expect(statesA.count == n)
                        #expect(statesA == (try await states(b)))
                    }
                }
            }
        }
        return (tally.fast, tally.autoresets)
    }

    /// The fast path (plain keys) against the tree path (escaped keys), one thread each.
    /// Autoresets take the fast reset on both sides; Tests/Interop/test_vector.py compares
    /// them with single sessions' resets, which take the tree path.
    static func fastAndTreeRepliesAgree(
        _ factory: EnvironmentFactory, actions: [JSONObject], invalid: JSONObject, invalidCode: String, steps: Int
    ) async throws -> (fast: Int, autoresets: Int) {
        try await repliesAgree(factory, Side(), Side(escaped: true), actions: actions, invalid: invalid, invalidCode: invalidCode, steps: steps)
    }

    /// `/ready`'s `active_sessions`, polled for up to 5 s until it reads `expected`.
    static func activeSessions(_ server: TestServer, settleTo expected: Int) async throws -> Int? {
        var active: Int?
        for _ in 0..<100 {
            active = try await server.http("GET", "/ready").1["active_sessions"]?.intValue
            if active == expected { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return active
    }

    final class Tally: @unchecked Sendable {
        var fast = 0
        var autoresets = 0
    }

    @Test func gridVectorsAnswerTheSameBytesOnTheFastAndTheTreePath() async throws {
        let (replies, autoresets) = try await Self.fastAndTreeRepliesAgree(
            GridEnvironment.entry.factory, actions: Self.gridMoves,
            invalid: ["action": "JUMP"], invalidCode: "VALIDATION_ERROR", steps: 300)
        #expect(replies > 250)
        #expect(autoresets > 0, "random walks on a 5x5 grid reach the goal within 300 steps")
    }

    @Test func catchVectorsAnswerTheSameBytesOnTheFastAndTheTreePath() async throws {
        let (replies, autoresets) = try await Self.fastAndTreeRepliesAgree(
            OpenSpielEnvironment.entry.factory, actions: [["action_id": 0], ["action_id": 1], ["action_id": 2], ["action_id": 1, "game_name": "catch"]],
            invalid: ["action_id": 7], invalidCode: "EXECUTION_ERROR", steps: 120)
        #expect(replies > 100)
        #expect(autoresets >= 8 * 5, "catch lasts 9 steps")
    }

    static let gridMoves: [JSONObject] = GridEnvironment.Move.allCases.map { ["action": .string($0.rawValue)] }

    @Test func chunksOfAVectorSteppedInParallelAnswerAsOneThreadDoes() async throws {
        // At most `threads` chunks, of at least 32, at most one per place they may run.
        #expect(VectorChunks.ranges(count: 100, chunks: 3) == [0..<33, 33..<66, 66..<100])
        #expect(VectorChunks.chunkCount(count: 100, threads: 3, places: 4) == 3)
        #expect(VectorChunks.chunkCount(count: 100, threads: 3, places: 2) == 2)
        #expect(VectorChunks.chunkCount(count: 64, threads: 3, places: 4) == 2)
        #expect(VectorChunks.chunkCount(count: 63, threads: 3, places: 4) == 1)
        #expect(VectorChunks.chunkCount(count: 100, threads: 3, places: 1) == 1)
        // In chunks (as many as the cores allow) on the fast path, and on the tree path,
        // against one thread.
        let (grid, gridResets) = try await Self.repliesAgree(
            GridEnvironment.entry.factory, n: 100, Side(threads: 3), Side(threads: 1),
            actions: Self.gridMoves, invalid: ["action": "JUMP"], invalidCode: "VALIDATION_ERROR", steps: 120)
        #expect(grid > 100 && gridResets > 0)
        _ = try await Self.repliesAgree(
            GridEnvironment.entry.factory, n: 64, Side(threads: 2, escaped: true), Side(threads: 1, escaped: true),
            actions: Self.gridMoves, invalid: ["action": "JUMP"], invalidCode: "VALIDATION_ERROR", steps: 40)
        let (games, gameResets) = try await Self.repliesAgree(
            OpenSpielEnvironment.entry.factory, n: 96, Side(threads: 3), Side(threads: 1),
            actions: [["action_id": 0], ["action_id": 1], ["action_id": 2]], invalid: ["action_id": 7], invalidCode: "EXECUTION_ERROR", steps: 60)
        #expect(games > 50 && gameResets >= 96 * 5)
    }

    /// Where one message's environments ran (`on_event_loop` of each observation) for a
    /// vector of `n` burners served with `threads` vector threads.
    static func whereChunksRan(_ factory: EnvironmentFactory, n: Int, threads: Int) async throws -> [Bool] {
        var configuration = ServerConfiguration(port: 0, maxSessions: n)
        configuration.vectorThreads = threads
        let places = Places()
        try await withServer(factory, configuration: configuration) { server in
            try await server.socket("/ws?num_envs=\(n)") { ws in
                _ = try await ws.roundTrip(["type": "reset", "data": [:]])
                let reply = try await ws.roundTrip(["type": "step", "data": ["actions": .array(Array(repeating: ["burn_milliseconds": 0], count: n))]])
                let observations = try #require(reply["data"]?["observations"]?.arrayValue, "\(reply)")
                places.onEventLoop = try observations.map { try #require($0["on_event_loop"]?.boolValue) }
            }
        }
        return places.onEventLoop
    }

    final class Places: @unchecked Sendable {
        var onEventLoop: [Bool] = []
    }

    @Test func chunksRunWhereTheExecutionPolicySays() async throws {
        // Thread-pool environments: every chunk on the step pool, never an event loop.
        #expect(try await Self.whereChunksRan(EnvironmentFactory { BurnerEnvironment() }, n: 64, threads: 2) == Array(repeating: false, count: 64))
        // Event-loop environments: one chunk stays on the connection's loop; two or more run on
        // the global pool (when the machine has the cores for two).
        let inline = EnvironmentFactory { InlineBurnerEnvironment() }
        #expect(try await Self.whereChunksRan(inline, n: 64, threads: 1) == Array(repeating: true, count: 64))
        #expect(try await Self.whereChunksRan(inline, n: 16, threads: 2) == Array(repeating: true, count: 16))
        #expect(try await Self.whereChunksRan(inline, n: 64, threads: 2) == Array(repeating: VectorChunks.cores < 2, count: 64))
    }

    @Test func anActionOfTheWrongTypeGetsTheSameValidationErrorOnBothPaths() async throws {
        let (replies, _) = try await Self.fastAndTreeRepliesAgree(
            OpenSpielEnvironment.entry.factory, actions: [["action_id": 0], ["action_id": 2]],
            invalid: ["action_id": "left"], invalidCode: "VALIDATION_ERROR", steps: 40)
        #expect(replies > 30)
    }

    @Test func aVectorHoldsOneSessionSlotPerEnvironmentUntilItCloses() async throws {
        try await withServer(GridEnvironment.entry.factory, configuration: ServerConfiguration(port: 0, maxSessions: 6)) { server in
            try await server.socket("/ws?num_envs=4") { vector in
                #expect(try await server.http("GET", "/ready").1["active_sessions"] == 4)
                try await server.socket("/ws?num_envs=3") { refused in
                    let error = try #require(try await refused.receive())
                    #expect(error["data"]?["code"] == "CAPACITY_REACHED", "\(error)")
                    #expect(try await refused.receive() == nil)
                }
                try await server.socket("/ws?num_envs=2") { fits in
                    let reply = try await fits.roundTrip(["type": "reset", "data": ["seed": 1]])
                    #expect(reply["data"]?["observations"]?.arrayValue?.count == 2)
                    #expect(try await server.http("GET", "/ready").1["active_sessions"] == 6)
                }
                let reply = try await vector.roundTrip(["type": "step", "data": ["actions": .array(Array(repeating: ["action": "UP"], count: 4))]])
                #expect(reply["data"]?["dones"]?.arrayValue?.count == 4)
            }
            #expect(try await Self.activeSessions(server, settleTo: 0) == 0)
        }
    }

    @Test func aMessagePastTheStepDeadlineEndsTheVectorAndClosesEveryEnvironmentOnce() async throws {
        let ledger = ProbeLedger()
        try await withServer(NappingToolsEnvironment.factory(ledger), configuration: DeadlineTests.deadline) { server in
            let code = try await server.socket("/ws?num_envs=2") { ws in
                let nap: JSONValue = ["type": "call_tool", "tool_name": "nap", "arguments": ["milliseconds": 200]]
                // Each environment naps 200 ms: one within the 300 ms deadline, both past it.
                let reply = try await ws.roundTrip(["type": "step", "data": ["actions": [nap, nap]]])
                #expect(reply["type"] == "error" && reply["data"]?["code"] == "EXECUTION_ERROR", "\(reply)")
                #expect(reply["data"]?["message"]?.stringValue?.contains("deadline") == true)
                #expect(try await ws.receive() == nil)
            }
            #expect(code == .normalClosure)
            try await DeadlineTests.waitUntil { ledger.closed == ledger.made }
            #expect(try await Self.activeSessions(server, settleTo: 0) == 0)
        }
        #expect(ledger.closed == ledger.made)
    }
}

extension SocketScript {
    func roundTripText(_ text: String) async throws -> String {
        try await send(text: text)
        guard let reply = try await receiveText() else { throw TestFailure("connection closed instead of replying to \(text)") }
        return reply
    }
}
