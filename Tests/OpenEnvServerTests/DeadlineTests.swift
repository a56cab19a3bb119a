import Foundation
import OpenEnvCore
import Testing
@testable import OpenEnvServer
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The step deadline through every transport that calls an environment: the caller gets
/// the transport's error, the session is gone before anything queued behind the late call
/// can run, and the environment is closed exactly once, after the late call returned.
@Suite(.serialized) struct DeadlineTests {
    static let deadline = ServerConfiguration(maxSessions: 2, stepTimeout: .milliseconds(300))
    static let napTooLong: JSONObject = ["milliseconds": 20_000]

    @Test func httpStepPastTheDeadlineClosesTheSessionBeforeTheQueueMovesOn() async throws {
        let ledger = ProbeLedger()
        try await withServer(NappingToolsEnvironment.factory(ledger), configuration: Self.deadline) { server in
            let id = try #require(try await server.rpc("openenv/session/create")["result"]?["session_id"]?.stringValue)
            let nap: JSONValue = ["type": "call_tool", "tool_name": "nap", "arguments": .object(Self.napTooLong)]
            // Two steps on the same session: the second waits in the session's queue.
            async let first = server.http("POST", "/step", json: ["action": nap, "session_id": .string(id)])
            try await Task.sleep(for: .milliseconds(100))
            let (secondStatus, second) = try await server.http("POST", "/step", json: ["action": nap, "session_id": .string(id)])
            let (firstStatus, firstBody) = try await first
            #expect(firstStatus == 504)
            #expect(firstBody["detail"]?.stringValue?.contains("deadline") == true)
            #expect(secondStatus == 404, "the queued call must be refused, not run: \(second)")
            #expect(ledger.calls == 1)
            let (stateStatus, _) = try await server.http("GET", "/state?session_id=\(id)")
            #expect(stateStatus == 404)
            try await Self.waitUntil { ledger.closed == ledger.made }
        }
        #expect(ledger.closed == ledger.made)
    }

    @Test func jsonRPCToolCallPastTheDeadlineEndsTheSession() async throws {
        let ledger = ProbeLedger()
        try await withServer(NappingToolsEnvironment.factory(ledger), configuration: Self.deadline) { server in
            let id = try #require(try await server.rpc("openenv/session/create")["result"]?["session_id"]?.stringValue)
            let reply = try await server.rpc("tools/call", ["name": "nap", "arguments": .object(Self.napTooLong), "session_id": .string(id)])
            #expect(reply["error"]?["code"] == -32600)
            #expect(reply["error"]?["message"]?.stringValue?.contains("deadline") == true)
            let again = try await server.rpc("tools/call", ["name": "nap", "arguments": ["milliseconds": 0], "session_id": .string(id)])
            #expect(again["error"]?["message"] == .string("Unknown session_id: \(id)"))
            // A stateless call (temporary environment) is bounded the same way.
            let stateless = try await server.rpc("tools/call", ["name": "nap", "arguments": .object(Self.napTooLong)])
            #expect(stateless["error"]?["message"]?.stringValue?.contains("deadline") == true)
            try await Self.waitUntil { ledger.closed == ledger.made }
        }
        #expect(ledger.closed == ledger.made)
    }

    @Test func socketToolCallsPastTheDeadlineCloseTheSocket() async throws {
        let ledger = ProbeLedger()
        try await withServer(NappingToolsEnvironment.factory(ledger), configuration: Self.deadline) { server in
            // The `mcp` envelope on /ws.
            let wsCode = try await server.socket { ws in
                let reply = try await ws.roundTrip([
                    "type": "mcp", "data": ["jsonrpc": "2.0", "method": "tools/call", "id": 1, "params": ["name": "nap", "arguments": .object(Self.napTooLong)]],
                ])
                #expect(reply["type"] == "error" && reply["data"]?["code"] == "EXECUTION_ERROR")
                #expect(try await ws.receive() == nil)
            }
            #expect(wsCode == .normalClosure)
            // WebSocket /mcp.
            let rpcCode = try await server.socket("/mcp") { ws in
                let reply = try await ws.roundTrip(["jsonrpc": "2.0", "method": "tools/call", "id": 1, "params": ["name": "nap", "arguments": .object(Self.napTooLong)]])
                #expect(reply["error"]?["message"]?.stringValue?.contains("deadline") == true)
                #expect(try await ws.receive() == nil)
            }
            #expect(rpcCode == .normalClosure)
            try await Self.waitUntil { ledger.closed == ledger.made }
            #expect(try await server.http("GET", "/ready").1["active_sessions"] == 0)
        }
        #expect(ledger.closed == ledger.made)
    }

    @Test func streamableMCPToolCallPastTheDeadlineEndsTheMCPSession() async throws {
        let ledger = ProbeLedger()
        try await withServer(NappingToolsEnvironment.factory(ledger), configuration: Self.deadline) { server in
            let (initialized, headers) = try await Self.streamable(server, nil, ["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["protocolVersion": "2025-06-18"]])
            #expect(initialized == 200)
            let sessionID = try #require(headers["mcp-session-id"] ?? headers["Mcp-Session-Id"])
            let (status, _) = try await Self.streamable(server, sessionID, ["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["name": "nap", "arguments": .object(Self.napTooLong)]])
            #expect(status == 200)  // a JSON-RPC error inside
            let (after, _) = try await Self.streamable(server, sessionID, ["jsonrpc": "2.0", "id": 3, "method": "ping"])
            #expect(after == 404, "the session must be gone after its deadline passed")
            try await Self.waitUntil { ledger.closed == ledger.made }
            #expect(try await server.http("GET", "/ready").1["active_sessions"] == 0)
        }
        #expect(ledger.closed == ledger.made)
    }

    // MARK: Helpers

    static func streamable(_ server: TestServer, _ sessionID: String?, _ body: JSONValue) async throws -> (Int, [String: String]) {
        var request = URLRequest(url: URL(string: server.base + "/mcp/streamable")!)
        request.httpMethod = "POST"
        request.httpBody = Data(JSONWriter().bytes(body))
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        if let sessionID { request.setValue(sessionID, forHTTPHeaderField: "Mcp-Session-Id") }
        let (_, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http?.allHeaderFields ?? [:] { headers["\(key)".lowercased()] = "\(value)" }
        return (http?.statusCode ?? 0, headers)
    }

    /// Polls `condition` for up to five seconds (a stranded call returns once cancelled).
    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<100 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
    }
}
