import OpenEnvCore

/// The protocol level: how the server handles the `/ws` protocol itself (spec §2) —
/// errors that leave the session usable, isolation between sessions, refusal at capacity
/// and the close handshake.
enum ProtocolChecks {
    static func run(_ server: ServerUnderTest, actions: ActionSpace?, maxSessions: Int?, into report: inout RunningEnvironmentReport) async {
        var rng = SplitMix64(seed: 7)
        report.append(await recoverable(server, id: "protocol.invalid_json",
            description: "A text frame that is not JSON gets an INVALID_JSON error and the session goes on", frame: "{not json", code: "INVALID_JSON"))
        report.append(await recoverable(server, id: "protocol.unknown_type",
            description: "A message of unknown type gets an UNKNOWN_TYPE error and the session goes on",
            frame: JSONWriter().string(["type": "openenv_validate_unknown"]), code: "UNKNOWN_TYPE"))
        let invalidDescription = "An action the action schema forbids gets a VALIDATION_ERROR with pydantic-style errors; the step is not counted and the session goes on"
        if let actions {
            report.append(await invalidAction(server, action: actions.invalid(using: &rng), description: invalidDescription))
        } else {
            report.append(.skipped("protocol.invalid_action", invalidDescription, reason: "no action schema to build an action from"))
        }
        if let actions {
            report.append(await isolation(server, actions: actions, rng: &rng))
        } else {
            report.append(.skipped("protocol.session_isolation", isolationDescription, reason: "no action schema to build an action from"))
        }
        report.append(await capacity(server, maxSessions: maxSessions))
        report.append(await closeHandshake(server))
    }

    /// Sends `frame` on a new session, expects an error with `code`, then a working `state`.
    static func recoverable(_ server: ServerUnderTest, id: String, description: String, frame: String, code: String) async -> Criterion {
        do {
            return try await server.withSession { socket in
                guard await socket.send(frame) else { return Criterion(id, description, passed: false, details: "the connection closed before the frame was sent") }
                let reply = try await socket.reply(timeout: server.timeout)
                let got = reply["data"]?["code"]?.stringValue
                guard reply["type"] == "error", got == code else {
                    return Criterion(id, description, passed: false, details: "expected an error frame with code \(code)",
                                     expected: ["type": "error", "code": .string(code)], actual: reply)
                }
                let after = try await socket.request(["type": "state"], timeout: server.timeout)
                guard after["type"] == "state" else {
                    return Criterion(id, description, passed: false, details: "after the error, a state request was not answered with a state frame", actual: after)
                }
                return Criterion(id, description, passed: true, actual: ["code": .string(code), "session_continues": true])
            }
        } catch {
            return Criterion(id, description, passed: false, details: "\(error)")
        }
    }

    static func invalidAction(_ server: ServerUnderTest, action: JSONValue, description: String) async -> Criterion {
        let id = "protocol.invalid_action"
        do {
            return try await server.withSession { socket in
                let reset = try await socket.request(["type": "reset", "data": ["episode_id": "openenv-validate-invalid-action"]], timeout: server.timeout)
                guard reset["type"] == "observation" else { return Criterion(id, description, passed: false, details: "reset failed", actual: reset) }
                let reply = try await socket.request(["type": "step", "data": action], timeout: server.timeout)
                guard reply["type"] == "error", reply["data"]?["code"] == "VALIDATION_ERROR", reply["data"]?["errors"]?.arrayValue != nil else {
                    return Criterion(id, description, passed: false, details: "the action \(JSONWriter().string(action)) was not refused with VALIDATION_ERROR and an errors list",
                                     expected: ["type": "error", "code": "VALIDATION_ERROR"], actual: reply)
                }
                let state = try await socket.request(["type": "state"], timeout: server.timeout)
                guard state["type"] == "state", state["data"]?["step_count"]?.intValue == 0 else {
                    return Criterion(id, description, passed: false, details: "after the refused step the state should show step_count 0", actual: state)
                }
                return Criterion(id, description, passed: true, actual: ["code": "VALIDATION_ERROR", "step_count_after": 0])
            }
        } catch {
            return Criterion(id, description, passed: false, details: "\(error)")
        }
    }

    static let isolationDescription = "Two sessions do not share state: each keeps its own episode_id and step_count while the other steps"

    static func isolation(_ server: ServerUnderTest, actions: ActionSpace, rng: inout SplitMix64) async -> Criterion {
        let id = "protocol.session_isolation"
        let first = actions.random(using: &rng), second = actions.random(using: &rng), third = actions.random(using: &rng)
        do {
            return try await server.withSession { a in try await server.withSession { b in
                _ = try await expectObservation(a.request(["type": "reset", "data": ["episode_id": "openenv-validate-a"]], timeout: server.timeout))
                _ = try await expectObservation(a.request(["type": "step", "data": first], timeout: server.timeout))
                _ = try await expectObservation(b.request(["type": "reset", "data": ["episode_id": "openenv-validate-b"]], timeout: server.timeout))
                _ = try await expectObservation(b.request(["type": "step", "data": second], timeout: server.timeout))
                _ = try await expectObservation(b.request(["type": "step", "data": third], timeout: server.timeout))
                let stateA = try await a.request(["type": "state"], timeout: server.timeout)["data"] ?? .null
                let stateB = try await b.request(["type": "state"], timeout: server.timeout)["data"] ?? .null
                let expected: JSONValue = ["a": ["episode_id": "openenv-validate-a", "step_count": 1], "b": ["episode_id": "openenv-validate-b", "step_count": 2]]
                let actual: JSONValue = ["a": ["episode_id": stateA["episode_id"] ?? .null, "step_count": stateA["step_count"] ?? .null],
                                         "b": ["episode_id": stateB["episode_id"] ?? .null, "step_count": stateB["step_count"] ?? .null]]
                return Criterion(id, isolationDescription, passed: actual == expected, details: actual == expected ? nil : "the sessions' states are mixed up",
                                 expected: expected, actual: actual)
            } }
        } catch {
            return Criterion(id, isolationDescription, passed: false, details: "\(error)")
        }
    }

    static func capacity(_ server: ServerUnderTest, maxSessions: Int?) async -> Criterion {
        let id = "protocol.capacity"
        let description = "Past its session limit the server accepts the socket, sends one CAPACITY_REACHED error with active_sessions and max_sessions, and closes with 1000"
        let ready = await server.readiness()
        guard let limit = ready?.limit ?? maxSessions else {
            return .skipped(id, description, reason: "the session limit is unknown: the server has no GET /ready; pass --max-sessions N to test it")
        }
        guard limit <= 256 else {
            return .skipped(id, description, reason: "the limit is \(limit) sessions; filling more than 256 is not attempted (serve with a lower --max-sessions to test it)")
        }
        var held: [ProbeSocket] = []
        let baseline = ready?.active ?? 0
        let criterion = await fill(server, limit: limit, description: description, held: &held)
        for socket in held { await socket.close() }
        await server.settle(toAtMost: baseline)
        return criterion
    }

    /// Opens sessions one at a time (each answers a `state`) until the server refuses one;
    /// other clients' sessions count too, so the refusal may come before `limit` of ours,
    /// but never after.
    private static func fill(_ server: ServerUnderTest, limit: Int, description: String, held: inout [ProbeSocket]) async -> Criterion {
        let id = "protocol.capacity"
        do {
            for index in 0...limit {
                let socket = try await server.openSession()
                held.append(socket)
                _ = await socket.send(["type": "state"])
                guard let first = await socket.next(timeout: server.timeout) else {
                    return Criterion(id, description, passed: false, details: "session \(index + 1) neither answered nor was refused within the timeout")
                }
                guard case .text(let text) = first, let frame = try? JSONParser.parse(text) else {
                    return Criterion(id, description, passed: false, details: "session \(index + 1) got \(first) instead of a reply or a CAPACITY_REACHED frame")
                }
                guard frame["type"] == "error", frame["data"]?["code"] == "CAPACITY_REACHED" else { continue }
                let data = frame["data"]
                let shaped = data?["active_sessions"]?.intValue != nil && data?["max_sessions"]?.intValue == limit
                let closing = await socket.next(timeout: server.timeout)
                let closedNormally = closing == .closed(code: 1000)
                return Criterion(id, description, passed: shaped && closedNormally,
                    details: shaped && closedNormally ? nil : "expected CAPACITY_REACHED with active_sessions and max_sessions \(limit), then close 1000",
                    expected: ["code": "CAPACITY_REACHED", "max_sessions": .int(limit), "close_code": 1000],
                    actual: ["frame": frame, "sessions_held": .int(index),
                             "close_code": closing.map { if case .closed(let code) = $0 { code.map(JSONValue.int) ?? .null } else { .string("\($0)") } } ?? "no close"])
            }
            return Criterion(id, description, passed: false, details: "\(limit + 1) sessions were admitted although max_sessions is \(limit)")
        } catch {
            return Criterion(id, description, passed: false, details: "\(error)")
        }
    }

    static func closeHandshake(_ server: ServerUnderTest) async -> Criterion {
        let id = "protocol.close"
        let description = "A close message gets no reply; the server closes the socket with code 1000"
        do {
            return try await server.withSession { socket in
                _ = try await expectObservation(socket.request(["type": "reset", "data": [:]], timeout: server.timeout))
                guard await socket.send(["type": "close"]) else { return Criterion(id, description, passed: false, details: "the connection closed before the close message") }
                let event = await socket.next(timeout: server.timeout)
                let passed = event == .closed(code: 1000)
                let actual: JSONValue
                switch event {
                case nil: actual = "no close within the timeout"
                case .closed(let code)?: actual = ["close_code": code.map(JSONValue.int) ?? .null]
                case .text(let text)?: actual = ["frame": .string(String(text.prefix(300)))]
                case .binary(let size)?: actual = ["binary_frame_bytes": .int(size)]
                }
                return Criterion(id, description, passed: passed, details: passed ? nil : "expected no frame and close code 1000", expected: ["close_code": 1000], actual: actual)
            }
        } catch {
            return Criterion(id, description, passed: false, details: "\(error)")
        }
    }

    struct UnexpectedReply: Error, CustomStringConvertible { var description: String }

    static func expectObservation(_ reply: JSONValue) throws -> JSONObject {
        guard reply["type"] == "observation", let data = reply["data"]?.objectValue else {
            throw UnexpectedReply(description: "expected an observation, got \(JSONWriter().string(reply).prefix(300))")
        }
        return data
    }
}
