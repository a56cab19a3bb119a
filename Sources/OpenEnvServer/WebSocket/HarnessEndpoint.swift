import OpenEnvCore

/// `/harness` (spec §2.9): served in production mode for environments that run an agent
/// harness (``HarnessProviding``). The connection owns one session; opening it resets the
/// environment (starting the harness) and sends `session_started`. Each
/// `{"type":"message","content":…}` frame runs one turn, whose events are streamed as they
/// happen and end with `turn_complete`.
///
/// Malformed frames get a recoverable `protocol_error` (no turn starts). A turn that fails,
/// overruns the harness's ``HarnessProviding/turnTimeout`` or ends without `turn_complete`
/// gets a terminal `error` event and the session ends (a reconnect gets a fresh one). A
/// client that leaves during a turn stops it at its next event.
///
/// Used sequentially by its connection (see ``WebSocketEndpoint``), so its state needs no lock.
final class HarnessEndpoint: WebSocketEndpoint, @unchecked Sendable {
    private let registry: SessionRegistry
    private let connection = ConnectionID.next()
    private let principal: AccessPrincipal?
    private var session: Session?
    private var finished = false

    init(registry: SessionRegistry, principal: AccessPrincipal? = nil) {
        self.principal = principal
        self.registry = registry
    }

    func open(_ socket: SocketWriter) async -> Bool {
        let session: Session
        do {
            session = try await registry.create(owner: .webSocket(connection), principal: principal)
        } catch {
            switch error {
            case .capacityReached, .quotaReached: socket.send(text: WireFrames.error("CAPACITY_REACHED", error.description))
            case .factoryFailed: socket.send(text: WireFrames.error("FACTORY_ERROR", error.description))
            default: socket.send(text: WireFrames.error("SESSION_ERROR", "harness session failed"))
            }
            return false
        }
        session.bindOwnerSocket(connection) { reason in
            if let reason { socket.send(text: Self.terminalError(reason.description)) }
            socket.close()
        }
        self.session = session
        do {
            let name = try await registry.call(.bound(session)) { environment in
                guard let harness = environment.harness else { throw NotAHarness() }
                _ = try await environment.reset([:])
                return await harness.harnessName
            }
            socket.send(text: JSONWriter(style: .python).bytes(
                ["type": "session_started", "data": ["session_id": .string(session.id), "harness": .string(name)]]))
            return true
        } catch {
            socket.send(text: WireFrames.error("SESSION_ERROR", "harness session failed"))
            await finish()
            return false
        }
    }

    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool {
        guard let session, !finished else { return false }
        let content: String
        switch Self.parse(message) {
        case .failure(let error):
            socket.send(text: WireFrames.writer.bytes(["type": "protocol_error", "data": ["message": .string(error.message), "code": .string(error.code)]]))
            return true
        case .success(let text):
            content = text
        }
        let progress = TurnProgress()
        do {
            try await registry.call(.bound(session)) { environment in
                guard let harness = environment.harness else { throw NotAHarness() }
                guard await harness.isHarnessRunning else { throw TurnFailure("harness process is not running") }
                let timeout = await harness.turnTimeout
                try await withDeadline(timeout, {
                    try await harness.runTurn(content) { event in
                        // Nobody listens any more: stop the turn (and its model calls) now.
                        guard socket.isOpen else { throw ClientGone() }
                        socket.send(text: WireFrames.writer.bytes(event.json))
                        await progress.saw(event.type)
                    }
                }, onTimeout: { TurnFailure("harness turn exceeded \(Session.seconds(timeout)) seconds") })
            }
        } catch is ClientGone {
            await finish()
            return false
        } catch let failure as TurnFailure {
            return await end(with: failure.message, socket)
        } catch is SessionError {
            // Closed, or past the step deadline: the session's sockets have been told.
            await finish()
            return false
        } catch {
            // Details stay on the server: harness errors can carry credentials or output.
            return await end(with: "harness turn failed", socket)
        }
        guard await progress.completed else {
            return await end(with: "harness event stream ended without a TURN_COMPLETE event", socket)
        }
        return true
    }

    func closed(cause: SessionCloseCause) async { await finish(cause: cause) }

    private func end(with message: String, _ socket: SocketWriter) async -> Bool {
        socket.send(text: Self.terminalError(message))
        await finish()
        return false
    }

    private func finish(cause: SessionCloseCause = .client) async {
        guard !finished, let session else { return }
        finished = true
        await registry.destroy(session.id, cause: cause)
    }

    static func terminalError(_ message: String) -> [UInt8] {
        WireFrames.writer.bytes(HarnessEvent(.error, data: ["message": .string(message), "recoverable": false]).json)
    }

    /// A client frame's `content`, or the recoverable error it gets.
    static func parse(_ message: WebSocketMessage) -> Result<String, ProtocolError> {
        guard case .text(let buffer) = message else {
            return .failure(ProtocolError(code: "INVALID_JSON", message: "Invalid JSON: binary frames are not harness messages"))
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer.readableBytesView)
        } catch {
            return .failure(ProtocolError(code: "INVALID_JSON", message: "Invalid JSON: \(error)"))
        }
        guard case .object(let object) = value else {
            return .failure(ProtocolError(
                code: "VALIDATION_ERROR",
                message: "Invalid message: openenv.core.harness.events.HarnessClientMessage() argument after ** must be a mapping, not \(value.pythonTypeName)"))
        }
        var issues: [ValidationIssue] = []
        switch object["type"] {
        case nil: issues.append(ValidationIssue(type: "missing", loc: ["type"], msg: "Field required", input: value))
        case .string("message")?: break
        case let other?: issues.append(ValidationIssue(type: "literal_error", loc: ["type"], msg: "Input should be 'message'", input: other))
        }
        switch object["content"] {
        case nil: issues.append(ValidationIssue(type: "missing", loc: ["content"], msg: "Field required", input: value))
        case .string?: break
        case let other?: issues.append(ValidationIssue(type: "string_type", loc: ["content"], msg: "Input should be a valid string", input: other))
        }
        guard issues.isEmpty, case .string(let content)? = object["content"] else {
            return .failure(ProtocolError(
                code: "VALIDATION_ERROR", message: "Invalid message: " + ValidationFailure(issues).pydanticText(model: "HarnessClientMessage")))
        }
        return .success(content)
    }

    struct ProtocolError: Error {
        var code: String
        var message: String
    }

    /// A turn failure whose message is safe to show the client.
    struct TurnFailure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    struct NotAHarness: Error {}

    /// The connection went down during a turn.
    struct ClientGone: Error {}
}

/// Whether the last event of a turn was `turn_complete`.
private actor TurnProgress {
    private(set) var completed = false
    func saw(_ type: HarnessEventType) { completed = type == .turnComplete }
}
