import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import OpenEnvCore

/// One OpenEnv session over a WebSocket (`/ws`, or `/ws?session_id=` to attach), per
/// spec §2: send one envelope, read exactly one reply, none after `close`.
///
/// The socket lives in a task running `WebSocketClient.connect`; this actor owns the
/// outbound writer and pairs inbound frames with the one request in flight. Requests are
/// admitted one at a time in arrival order, so replies can be matched by order even when
/// several tasks share a client.
///
/// Failure contract:
/// - An `error` reply throws ``OpenEnvError/server(_:)``; the session goes on.
/// - A frame the server sends without being asked (its last words before closing, such
///   as `CAPACITY_REACHED`) is the answer to the next request, which is then not sent.
/// - When the connection ends (server closed it, network error, missed pings) every later
///   request throws ``OpenEnvError/sessionLost(_:)``; the actor never reconnects.
/// - A reply that does not come within `replyTimeout`, or a request cancelled while
///   waiting, drops the connection without sending `close` (as the reference client
///   does): a late reply could not be told apart from the next one.
actor WebSocketSession: SessionTransport {
    private enum Phase {
        case connecting(CheckedContinuation<Void, any Error>?)
        case open(WebSocketOutboundWriter)
        case lost(SessionLossReason)
        case closed
    }

    let url: String
    nonisolated var sessionID: String? { nil }
    private let configuration: ClientConfiguration
    private var phase: Phase = .connecting(nil)
    private var connection: Task<Void, Never>?
    private var timer: Task<Void, Never>?

    /// Frames that arrived while no request was waiting for one.
    private var unsolicited: [String] = []
    /// A request has been (or is being) sent and its reply is due.
    private var awaitingReply = false
    /// The reply, when it arrived before the request started waiting.
    private var earlyReply: String?
    private var waiter: CheckedContinuation<String, any Error>?

    /// Admission of requests, one at a time in arrival order.
    private var busy = false
    private var queue: [CheckedContinuation<Void, Never>] = []

    private init(url: String, configuration: ClientConfiguration) {
        self.url = url
        self.configuration = configuration
    }

    /// Connects and completes the WebSocket handshake within `connectTimeout`. Throws
    /// ``OpenEnvError/httpStatus(_:body:)`` (401 or 403, with the server's body) when the
    /// server refused the handshake for want of a valid token (``HandshakeRefusal``), else
    /// ``OpenEnvError/connectionFailed(url:reason:)``; nothing is left open when it throws.
    static func connect(url: String, configuration: ClientConfiguration) async throws(OpenEnvError) -> WebSocketSession {
        let session = WebSocketSession(url: url, configuration: configuration)
        do {
            try await session.open()
        } catch {
            if case .connectionFailed(_, let reason) = error, !reason.contains(Self.handshakeTimeout),
                let refusal = await HandshakeRefusal.probe(url, configuration: configuration)
            {
                throw refusal
            }
            throw error
        }
        return session
    }

    private static let handshakeTimeout = "no WebSocket handshake within"

    // MARK: SessionTransport

    func reset(_ arguments: JSONObject) async throws(OpenEnvError) -> JSONObject {
        try await observation(for: ["type": "reset", "data": .object(arguments)])
    }

    func step(_ action: JSONValue) async throws(OpenEnvError) -> JSONObject {
        try await observation(for: ["type": "step", "data": action])
    }

    func state() async throws(OpenEnvError) -> JSONValue {
        let reply = try await request(["type": "state"])
        guard reply["type"]?.stringValue == "state", let data = reply["data"] else {
            throw .unexpectedReply("expected a state reply", reply)
        }
        return data
    }

    func close() async {
        await admit()
        defer { leave() }
        if case .open(let outbound) = phase {
            phase = .closed
            try? await outbound.write(.text(#"{"type":"close"}"#))
            try? await outbound.close(.normalClosure, reason: nil)
        }
        phase = .closed
        await connection?.value
    }

    // MARK: Requests

    private func observation(for envelope: JSONValue) async throws(OpenEnvError) -> JSONObject {
        let reply = try await request(envelope)
        guard reply["type"]?.stringValue == "observation", let data = reply["data"]?.objectValue else {
            throw .unexpectedReply("expected an observation reply", reply)
        }
        return data
    }

    /// Sends `envelope` and returns the reply frame; an `error` reply is thrown.
    private func request(_ envelope: JSONValue) async throws(OpenEnvError) -> JSONValue {
        await admit()
        defer { leave() }
        let text: String
        if !unsolicited.isEmpty {
            text = unsolicited.removeFirst()
        } else {
            text = try await exchange(JSONWriter().string(envelope))
        }
        let reply: JSONValue
        do {
            reply = try JSONParser.parse(text)
        } catch {
            throw .unexpectedReply("not JSON: \(error)", .string(text))
        }
        if reply["type"]?.stringValue == "error" {
            throw .server(ServerError(data: reply["data"]?.objectValue ?? [:]))
        }
        return reply
    }

    private func exchange(_ text: String) async throws(OpenEnvError) -> String {
        let outbound: WebSocketOutboundWriter
        switch phase {
        case .open(let writer): outbound = writer
        case .lost(let reason): throw .sessionLost(reason)
        case .closed, .connecting: throw .closed
        }
        let size = text.utf8.count
        guard size <= configuration.maxOutgoingMessageSize else {
            throw .messageTooLarge(size: size, limit: configuration.maxOutgoingMessageSize)
        }
        awaitingReply = true
        earlyReply = nil
        // A failed write means the connection is going away; the reply (a frame the server
        // queued before closing) or the loss is then picked up below.
        try? await outbound.write(.text(text))
        return try await reply()
    }

    private func reply() async throws(OpenEnvError) -> String {
        if let early = earlyReply {
            earlyReply = nil
            awaitingReply = false
            return early
        }
        if case .lost(let reason) = phase {
            awaitingReply = false
            throw .sessionLost(reason)
        }
        let timeout = configuration.replyTimeout
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    waiter = continuation
                    timer = Task { [weak self] in
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        await self?.abandon(.replyTimeout(timeout), error: .replyTimeout(timeout))
                    }
                }
            } onCancel: {
                Task { await self.abandon(.cancelled, error: .sessionLost(.cancelled)) }
            }
        } catch let error as OpenEnvError {
            throw error
        } catch {
            throw .sessionLost(.connectionError("\(error)"))
        }
    }

    /// Gives up on the reply in flight: fails its waiter and drops the connection
    /// without saying `close`.
    private func abandon(_ reason: SessionLossReason, error: OpenEnvError) {
        guard let waiter else { return }
        self.waiter = nil
        awaitingReply = false
        timer?.cancel()
        waiter.resume(throwing: error)
        drop(reason)
    }

    private func drop(_ reason: SessionLossReason) {
        guard case .open(let outbound) = phase else { return }
        phase = .lost(reason)
        configuration.logger.debug("dropping WebSocket", metadata: ["url": "\(url)", "reason": "\(reason)"])
        let connection = connection
        Task {
            try? await outbound.close(.goingAway, reason: nil)
            connection?.cancel()
        }
    }

    private func admit() async {
        if busy {
            await withCheckedContinuation { queue.append($0) }
        } else {
            busy = true
        }
    }

    /// Hands the turn to the next request in line (it stays busy) or frees it.
    private func leave() {
        if queue.isEmpty { busy = false } else { queue.removeFirst().resume() }
    }

    // MARK: Connection events

    private func open() async throws(OpenEnvError) {
        let configuration = configuration
        let url = url
        var ws = WebSocketClientConfiguration(
            maxFrameSize: configuration.maxIncomingMessageSize, closeTimeout: .seconds(5),
            autoPing: configuration.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled)
        for (name, value) in configuration.headers {
            guard let field = HTTPField.Name(name) else { throw .connectionFailed(url: url, reason: "invalid header name \(name)") }
            ws.additionalHeaders.append(HTTPField(name: field, value: value))
        }
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                phase = .connecting(continuation)
                connection = Task { [ws] in
                    let ending: SessionLossReason
                    do {
                        let frame = try await WebSocketClient.connect(
                            url: url, configuration: ws, tlsConfiguration: configuration.tlsConfiguration, logger: configuration.logger
                        ) { inbound, outbound, _ in
                            await self.opened(outbound)
                            for try await message in inbound.messages(maxSize: configuration.maxIncomingMessageSize) {
                                switch message {
                                case .text(let text): await self.received(text)
                                case .binary(let buffer): await self.received(String(buffer: buffer))
                                }
                            }
                        }
                        ending = .closedByServer(code: frame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) })
                    } catch {
                        ending = .connectionError("\(error)")
                    }
                    self.ended(ending)
                }
                timer = Task { [weak self] in
                    guard (try? await Task.sleep(for: configuration.connectTimeout)) != nil else { return }
                    await self?.ended(.connectionError("\(Self.handshakeTimeout) \(configuration.connectTimeout)"))
                }
            }
        } catch let error as OpenEnvError {
            throw error
        } catch {
            throw .connectionFailed(url: url, reason: "\(error)")
        }
    }

    private func opened(_ outbound: WebSocketOutboundWriter) {
        guard case .connecting(let continuation) = phase else { return }
        timer?.cancel()
        phase = .open(outbound)
        continuation?.resume()
    }

    private func received(_ text: String) {
        // A frame that arrives after the connection was dropped (a reply that came too
        // late) belongs to no request.
        guard case .open = phase else { return }
        if let waiter {
            self.waiter = nil
            awaitingReply = false
            timer?.cancel()
            waiter.resume(returning: text)
        } else if awaitingReply {
            earlyReply = text
        } else {
            unsolicited.append(text)
        }
    }

    private func ended(_ reason: SessionLossReason) {
        switch phase {
        case .connecting(let continuation):
            timer?.cancel()
            phase = .lost(reason)
            connection?.cancel()
            continuation?.resume(throwing: OpenEnvError.connectionFailed(url: url, reason: "\(reason)"))
        case .open:
            phase = .lost(reason)
            if let waiter {
                self.waiter = nil
                awaitingReply = false
                timer?.cancel()
                waiter.resume(throwing: OpenEnvError.sessionLost(reason))
            }
        case .lost, .closed:
            break
        }
    }
}
