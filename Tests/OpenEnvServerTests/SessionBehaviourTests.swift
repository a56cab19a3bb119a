import Foundation
import NIOCore
import OpenEnvCore
import OpenEnvEnvironments
import Testing
@testable import OpenEnvServer

/// Behaviour where swift-openenv deliberately improves on the reference (see
/// docs/compatibility.md), exercised over real sockets.
@Suite(.serialized) struct SessionBehaviourTests {
    @Test func callsToOneSessionAreSerializedAcrossTransports() async throws {
        let ledger = ProbeLedger()
        try await withServer(ProbeEnvironment.factory(ledger)) { server in
            let created = try await server.rpc("openenv/session/create")
            let id = try #require(created["result"]?["session_id"]?.stringValue)
            try await server.socket("/ws?session_id=\(id)") { ws in
                _ = try await ws.roundTrip(["type": "reset", "data": [:]])
                // An HTTP step and a WebSocket step on the same session at the same time.
                async let viaHTTP = server.http("POST", "/step", json: ["action": ["sleep_milliseconds": 200], "session_id": .string(id)])
                let viaSocket = try await ws.roundTrip(["type": "step", "data": ["sleep_milliseconds": 200]])
                let (status, body) = try await viaHTTP
                #expect(status == 200)
                let rewards = Set([viaSocket["data"]?["reward"], body["reward"]])
                #expect(rewards == [.int(1), .double(2)] || rewards == [.int(2), .double(1)])
                let state = try await ws.roundTrip(["type": "state"])
                #expect(state["data"]?["step_count"] == 2)
                try await ws.send(["type": "close"])
            }
            #expect(ledger.maxInFlight == 1)
            _ = try await server.rpc("openenv/session/close", ["session_id": .string(id)])
        }
        #expect(ledger.closed == ledger.made)
    }

    @Test func aSocketOwnsItsSession() async throws {
        try await withServer(EnvironmentFactory { EchoEnvironment() }) { server in
            try await server.socket { owner in
                let created = try await owner.roundTrip(["type": "mcp", "data": ["jsonrpc": "2.0", "method": "openenv/session/create", "id": 1]])
                let id = try #require(created["data"]?["result"]?["session_id"]?.stringValue)
                // Another socket may not attach to it ...
                let code = try await server.socket("/ws?session_id=\(id)") { intruder in
                    let refusal = try await intruder.receive()
                    #expect(refusal?["data"]?["code"] == "SESSION_ERROR")
                    #expect(try await intruder.receive() == nil)
                }
                #expect(code == .normalClosure)
                // ... nor may an HTTP caller close it.
                let close = try await server.rpc("openenv/session/close", ["session_id": .string(id)])
                #expect(close["error"]?["code"] == -32600)
                // The owner keeps working.
                let reset = try await owner.roundTrip(["type": "reset", "data": ["episode_id": "mine"]])
                #expect(reset["type"] == "observation")
                try await owner.send(["type": "close"])
            }
        }
    }

    @Test func idleHTTPSessionsAreReapedButLiveSocketsAreNot() async throws {
        let ledger = ProbeLedger()
        let configuration = ServerConfiguration(sessionTimeout: .milliseconds(300))
        try await withServer(ProbeEnvironment.factory(ledger), configuration: configuration) { server in
            let created = try await server.rpc("openenv/session/create")
            let id = try #require(created["result"]?["session_id"]?.stringValue)
            try await server.socket { ws in
                _ = try await ws.roundTrip(["type": "reset", "data": [:]])
                try await Task.sleep(for: .milliseconds(1500))
                let step = try await ws.roundTrip(["type": "step", "data": ["sleep_milliseconds": 0]])
                #expect(step["type"] == "observation")
                try await ws.send(["type": "close"])
            }
            let close = try await server.rpc("openenv/session/close", ["session_id": .string(id)])
            #expect(close["error"]?["message"] == .string("Unknown session_id: \(id)"))
        }
        #expect(ledger.closed == ledger.made)
    }

    @Test func aStepPastTheDeadlineGetsAnErrorAndFreesTheSlot() async throws {
        let ledger = ProbeLedger()
        let configuration = ServerConfiguration(maxSessions: 1, stepTimeout: .milliseconds(200))
        try await withServer(ProbeEnvironment.factory(ledger), configuration: configuration) { server in
            let code = try await server.socket { ws in
                let reply = try await ws.roundTrip(["type": "step", "data": ["sleep_milliseconds": 10_000]])
                #expect(reply["data"]?["code"] == "EXECUTION_ERROR")
                #expect(reply["data"]?["message"]?.stringValue?.contains("deadline") == true)
                #expect(try await ws.receive() == nil)
            }
            #expect(code == .normalClosure)
            // The only slot is free again: a new session works.
            try await server.socket { ws in
                let reset = try await ws.roundTrip(["type": "reset", "data": [:]])
                #expect(reset["type"] == "observation")
                try await ws.send(["type": "close"])
            }
        }
        #expect(ledger.closed == ledger.made)
    }

    @Test func capacityIsReportedByReadinessAndRefusedOnConnect() async throws {
        let configuration = ServerConfiguration(maxSessions: 1)
        try await withServer(EnvironmentFactory { GridEnvironment() }, configuration: configuration) { server in
            #expect(try await server.http("GET", "/ready").0 == 200)
            try await server.socket { first in
                _ = try await first.roundTrip(["type": "reset", "data": [:]])
                let (status, body) = try await server.http("GET", "/ready")
                #expect(status == 503 && body["status"] == "full")
                try await server.socket { second in
                    let refusal = try await second.receive()
                    #expect(refusal?["data"]?["code"] == "CAPACITY_REACHED")
                    #expect(refusal?["data"]?["active_sessions"] == 1 && refusal?["data"]?["max_sessions"] == 1)
                    #expect(try await second.receive() == nil)
                }
                try await first.send(["type": "close"])
            }
        }
    }

    @Test func everyEnvironmentIsClosedExactlyOnceAtShutdown() async throws {
        let ledger = ProbeLedger()
        try await withServer(ProbeEnvironment.factory(ledger)) { server in
            for _ in 0..<3 { _ = try await server.rpc("openenv/session/create") }
            #expect(ledger.made == 3 && ledger.closed == 0)
        }
        #expect(ledger.closed == 3)
    }

    @Test func badInputNeverHurtsOtherSessions() async throws {
        let configuration = ServerConfiguration(maxMessageSize: 4096)
        try await withServer(EnvironmentFactory { GridEnvironment() }, configuration: configuration) { server in
            try await server.socket { healthy in
                _ = try await healthy.roundTrip(["type": "reset", "data": ["seed": 7]])
                for bad in ["{not json", "[1,2]", String(repeating: "x", count: 5000)] {
                    try await server.socket { ws in
                        try await ws.send(text: bad)
                        let reply = try await ws.receive()
                        #expect(reply?["type"] == "error")
                        if bad.hasPrefix("{") {
                            #expect(reply?["data"]?["code"] == "INVALID_JSON")
                            try await ws.send(["type": "close"])
                        } else {
                            #expect(try await ws.receive() == nil)
                        }
                    }
                }
                try await server.socket { ws in
                    try await ws.outbound.write(.binary(.init(bytes: [0, 1])))
                    #expect(try await ws.receive()?["data"]?["code"] == "SESSION_ERROR")
                }
                let state = try await healthy.roundTrip(["type": "state"])
                #expect(state["data"]?["seed"] == 7)
                try await healthy.send(["type": "close"])
            }
            #expect(try await server.http("GET", "/health").0 == 200)
        }
    }

    @Test func httpRoutesAddressASessionWhenGivenItsID() async throws {
        try await withServer(EnvironmentFactory { GridEnvironment() }) { server in
            let id = try #require(try await server.rpc("openenv/session/create")["result"]?["session_id"]?.stringValue)
            let (status, reset) = try await server.http("POST", "/reset", json: ["seed": 7, "episode_id": "http-ep", "session_id": .string(id)])
            #expect(status == 200 && reset["observation"]?["row"] == 2)
            _ = try await server.http("POST", "/step", json: ["action": ["action": "DOWN"], "session_id": .string(id)])
            let (_, state) = try await server.http("GET", "/state?session_id=\(id)")
            #expect(state["episode_id"] == "http-ep" && state["step_count"] == 1)
            let (missing, body) = try await server.http("GET", "/state?session_id=nope")
            #expect(missing == 404 && body["detail"] == "Unknown session_id: nope")
            // Without an id the routes stay stateless, as in the reference.
            let (_, fresh) = try await server.http("GET", "/state")
            #expect(fresh["step_count"] == 0)
        }
    }
}
