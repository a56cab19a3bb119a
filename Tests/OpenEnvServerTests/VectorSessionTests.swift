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

    /// Two vectors of the same environments and seed, one sent plain (fast path), one with
    /// escaped keys (tree path): every reply, errors and autoresets included, must be the
    /// same text.
    static func fastAndTreeRepliesAgree(
        _ factory: EnvironmentFactory, actions: [JSONObject], invalid: JSONObject, invalidCode: String, steps: Int
    ) async throws -> (fast: Int, autoresets: Int) {
        #expect(try await factory.make().fastStep != nil, "the environment must take the fast path, or this compares the tree path with itself")
        let n = 8
        let tally = Tally()
        try await withServer(factory, configuration: ServerConfiguration(port: 0, maxSessions: 2 * n)) { server in
            try await server.socket("/ws?num_envs=\(n)") { fast in
                try await server.socket("/ws?num_envs=\(n)") { tree in
                    let reset = #"{"type":"reset","data":{"seed":77}}"#
                    #expect(try await fast.roundTripText(reset) == (try await tree.roundTripText(reset)))
                    var random = SplitMix64(seed: 5)
                    for step in 0..<steps {
                        var chosen = (0..<n).map { _ in actions[Int(random.next(below: UInt64(actions.count)))] }
                        if step % 17 == 16 { chosen[Int(random.next(below: UInt64(n)))] = invalid }
                        let plain = #"{"type":"step","data":{"actions":["# + chosen.map { JSONWriter().string(.object($0)) }.joined(separator: ",") + "]}}"
                        let escaped = #"{"type": "step", "data": {"actions": ["# + chosen.map(Self.escapedKeys).joined(separator: ", ") + "]}}"
                        let a = try await fast.roundTripText(plain)
                        let b = try await tree.roundTripText(escaped)
                        #expect(a == b, "step \(step)\n\(plain)\n\(a)\n\(b)")
                        let reply = try JSONParser.parse(Array(a.utf8))
                        if reply["type"] == "vector_observation" {
                            tally.fast += 1
                            tally.autoresets += reply["data"]?["autoreset"]?.arrayValue?.filter { $0 == true }.count ?? 0
                        } else {
                            #expect(reply["data"]?["code"] == .string(invalidCode), "\(a)")
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
                    let fastStates = try await states(fast)
                    #expect(fastStates.count == n)
                    #expect(fastStates == (try await states(tree)))
                }
            }
        }
        return (tally.fast, tally.autoresets)
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
            GridEnvironment.entry.factory, actions: GridEnvironment.Move.allCases.map { ["action": .string($0.rawValue)] },
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
