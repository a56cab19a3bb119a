import NIOCore
import OpenEnvCore
import Tracing

/// The `/ws` message protocol for one connection bound to one session, independent of
/// the WebSocket library: text in, frames out (spec §2).
///
/// Replies are produced strictly one per request, in order; `close` gets none. Malformed
/// JSON, unknown types and invalid envelopes or actions get an error frame and the
/// connection continues; a non-object JSON value or a binary frame gets `SESSION_ERROR`
/// and ends the connection, as in the reference.
struct SessionMessageHandler: Sendable {
    /// What to do after a frame.
    struct Reply: Sendable {
        var frame: [UInt8]?
        var closeAfter: Bool
        /// The call passed the step deadline (the session is already destroyed).
        var deadlinePassed = false
    }

    let session: Session
    let dispatcher: JSONRPCDispatcher

    private static let envelopeKeys: [String: Set<String>] = [
        "reset": ["type", "data"], "step": ["type", "data"], "state": ["type"], "close": ["type"], "mcp": ["type", "data"],
    ]

    func handleBinary() -> Reply {
        Reply(frame: WireFrames.error("SESSION_ERROR", "'text'"), closeAfter: true)
    }

    /// A text frame. A plain step (``StepEnvelope``) on a server without tracing takes the
    /// fast path (``FastStep``): no ``JSONValue`` of the frame, the action or the observation.
    /// Everything else, and every frame the fast path declines, takes ``handle(text:)``'s
    /// path, so replies and errors are the same bytes either way.
    func handle(frame buffer: ByteBuffer) async -> Reply {
        guard dispatcher.registry.tracing == nil,
            let data = buffer.withUnsafeReadableBytes({ StepEnvelope.dataRange(in: $0.assumingMemoryBound(to: UInt8.self)) })
        else { return await handle(text: buffer.readableBytesView) }
        return await call(operation: .step) { env in
            if let fast = env.fastStep,
                let action = buffer.withUnsafeReadableBytes({ fast.decode(UnsafeBufferPointer(rebasing: $0.assumingMemoryBound(to: UInt8.self)[data])) })
            {
                return try await fast.frame(action)
            }
            // The action as handle(text:) would have passed it: the parsed `data` object.
            let action = try buffer.withUnsafeReadableBytes { try JSONParser.parse(UnsafeBufferPointer(rebasing: $0.assumingMemoryBound(to: UInt8.self)[data])) }
            return ObservationFrame.bytes(try await env.step(action))
        } frame: { $0 }
    }

    /// A text frame answered at once, without suspending: a plain step of a
    /// ``SynchronousEnvironment`` whose session can take it now
    /// (``SessionRegistry/callNow(_:operation:_:)``). `nil`, with nothing done, for every
    /// other frame: it then goes to ``handle(frame:)``. The reply is what ``handle(frame:)``
    /// would have sent, and it never closes the connection.
    func handleNow(frame buffer: ByteBuffer) -> Reply? {
        guard session.stepsNow else { return nil }
        do {
            let frame = try buffer.withUnsafeReadableBytes { raw -> [UInt8]? in
                let bytes = raw.assumingMemoryBound(to: UInt8.self)
                guard let data = StepEnvelope.dataRange(in: bytes) else { return nil }
                return try dispatcher.registry.callNow(session, operation: .step) { env in
                    try env.fastStep?.frameNow(UnsafeBufferPointer(rebasing: bytes[data]))
                }
            }
            return frame.map { Reply(frame: $0, closeAfter: false) }
        } catch {
            return Self.reply(to: error)
        }
    }

    func handle(text: some Collection<UInt8>) async -> Reply {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            return Reply(frame: WireFrames.error("INVALID_JSON", "Invalid JSON: \(error)"), closeAfter: false)
        }
        guard case .object(let message) = value else {
            return Reply(frame: WireFrames.error("SESSION_ERROR", "'\(value.pythonTypeName)' object has no attribute 'get'"), closeAfter: true)
        }
        let type: String
        switch message["type"] {
        case .string(let t)?: type = t
        case nil, .null?: type = ""
        case let other?: type = other.description
        }
        guard let allowed = Self.envelopeKeys[type] else {
            return Reply(frame: WireFrames.error("UNKNOWN_TYPE", "Unknown message type: \(type)"), closeAfter: false)
        }
        var issues: [ValidationIssue] = []
        for member in message where !allowed.contains(member.key) {
            issues.append(ValidationIssue(type: "extra_forbidden", loc: [.string(member.key)], msg: "Extra inputs are not permitted", input: member.value))
        }
        var data = JSONObject()
        switch message["data"] {
        case nil:
            if type == "step" || type == "mcp" {
                issues.append(ValidationIssue(type: "missing", loc: ["data"], msg: "Field required", input: .object(message)))
            }
        case .object(let d)?: data = d
        case let other?:
            if allowed.contains("data") {
                issues.append(ValidationIssue(type: "dict_type", loc: ["data"], msg: "Input should be a valid dictionary", input: other))
            }
        }
        guard issues.isEmpty else { return Self.validationError(ValidationFailure(issues)) }
        let payload = data

        switch type {
        case "close":
            return Reply(frame: nil, closeAfter: true)
        case "mcp":
            let response = await dispatcher.handle(request: payload, binding: .socket(session))
            return Reply(frame: WireFrames.frame("mcp", response), closeAfter: false)
        case "reset":
            return await call(operation: .reset) { try await $0.reset(payload).webSocketPayload } frame: { WireFrames.frame("observation", $0) }
        case "step":
            // A trainer multiplexing rollouts over one socket names each step's parent in the
            // action's `metadata` (a field every reference action has), overriding the upgrade's.
            let traceContext = dispatcher.registry.tracing.flatMap { tracing -> ServiceContext? in
                guard case .object(let metadata)? = payload["metadata"], case .string(let traceparent)? = metadata["traceparent"] else { return nil }
                return tracing.context(traceparent: traceparent, tracestate: metadata["tracestate"]?.stringValue)
            }
            return await ServerTracing.withContext(traceContext) {
                await call(operation: .step) { try await $0.step(.object(payload)).webSocketPayload } frame: { WireFrames.frame("observation", $0) }
            }
        default:  // state
            return await call(countsAsActivity: false) { try await $0.state() } frame: { WireFrames.frame("state", $0) }
        }
    }

    private func call<Result: Sendable>(
        countsAsActivity: Bool = true, operation: CallOperation? = nil, _ body: @escaping @Sendable (AnyEnvironment) async throws -> Result,
        frame: (Result) -> [UInt8]
    ) async -> Reply {
        do {
            let result = try await dispatcher.registry.call(.bound(session), countsAsActivity: countsAsActivity, operation: operation, body)
            return Reply(frame: frame(result), closeAfter: false)
        } catch {
            return Self.reply(to: error)
        }
    }

    /// What a call that threw `error` answers: the error frame, and whether the connection ends.
    private static func reply(to error: any Error) -> Reply {
        switch error {
        case let failure as ValidationFailure:
            return validationError(failure)
        case let error as SessionError:
            // Past the deadline the session is gone and its sockets got the error already.
            if case .deadlineExceeded = error { return Reply(frame: nil, closeAfter: true, deadlinePassed: true) }
            return Reply(frame: WireFrames.error(error), closeAfter: true)
        default:
            return Reply(frame: WireFrames.error("EXECUTION_ERROR", "\(error)"), closeAfter: false)
        }
    }

    static func validationError(_ failure: ValidationFailure) -> Reply {
        Reply(frame: WireFrames.error("VALIDATION_ERROR", "Invalid message", extra: ["errors": failure.json(includeURL: true)]),
              closeAfter: false)
    }
}
