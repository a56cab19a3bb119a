import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import OpenEnvCore

/// A raw WebSocket to a server, for probing the protocol: it sends any text (malformed
/// JSON included), reads frames one at a time with a deadline, and tells how and with
/// which code the connection closed. No compression, no pings, frames up to 1 MiB (the
/// reference runtime validator's limits, spec §9.5).
actor ProbeSocket {
    enum Event: Sendable, Equatable {
        case text(String)
        case binary(Int)
        /// The connection ended; `code` is the server's close code when it sent one.
        case closed(code: Int?)
    }

    struct ConnectError: Error, CustomStringConvertible { var description: String }

    static let maxFrame = 1024 * 1024

    private var outbound: WebSocketOutboundWriter?
    private var buffered: [Event] = []
    private var ended: Event?
    private var waiter: CheckedContinuation<Event?, Never>?
    /// Which wait the current `waiter` is, so a stale deadline cannot end a later wait.
    private var waitNumber = 0
    private var opening: CheckedContinuation<Void, any Error>?
    private var connection: Task<Void, Never>?

    /// Opens `url` (`ws://…/ws`); throws when the handshake does not complete within `timeout`.
    static func connect(_ url: String, timeout: Duration, headers: [String: String] = [:]) async throws -> ProbeSocket {
        let socket = ProbeSocket()
        try await socket.open(url, timeout: timeout, headers: headers)
        return socket
    }

    private func open(_ url: String, timeout: Duration, headers: [String: String]) async throws {
        var logger = Logger(label: "openenv.validate.ws")
        logger.logLevel = .critical
        var settings = WebSocketClientConfiguration(maxFrameSize: Self.maxFrame, closeTimeout: .seconds(2), autoPing: .disabled)
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { settings.additionalHeaders.append(HTTPField(name: field, value: value)) }
        }
        let configuration = settings
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            opening = continuation
            connection = Task {
                let end: Event
                do {
                    let frame = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                        await self.opened(outbound)
                        for try await message in inbound.messages(maxSize: Self.maxFrame) {
                            switch message {
                            case .text(let text): await self.deliver(.text(text))
                            case .binary(let buffer): await self.deliver(.binary(buffer.readableBytes))
                            }
                        }
                    }
                    end = .closed(code: frame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) })
                } catch {
                    self.failOpening(error)
                    end = .closed(code: nil)
                }
                self.finish(end)
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.failOpening(ConnectError(description: "no WebSocket handshake within \(timeout)"))
            }
        }
    }

    private func opened(_ writer: WebSocketOutboundWriter) {
        outbound = writer
        opening?.resume()
        opening = nil
    }

    private func failOpening(_ error: any Error) {
        guard let opening else { return }
        self.opening = nil
        opening.resume(throwing: error is ConnectError ? error : ConnectError(description: "\(error)"))
        connection?.cancel()
    }

    private func deliver(_ event: Event) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: event)
        } else {
            buffered.append(event)
        }
    }

    private func finish(_ event: Event) {
        if ended == nil { ended = event }
        outbound = nil
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: event)
        }
    }

    /// Sends one text frame; `false` when the connection is gone.
    @discardableResult
    func send(_ text: String) async -> Bool {
        guard let outbound else { return false }
        do { try await outbound.write(.text(text)); return true } catch { return false }
    }

    func send(_ value: JSONValue) async -> Bool { await send(JSONWriter(style: .python).string(value)) }

    /// The next event, or `nil` when nothing arrived within `timeout`. After the end, every
    /// call returns the same `.closed` event.
    func next(timeout: Duration) async -> Event? {
        if !buffered.isEmpty { return buffered.removeFirst() }
        if let ended { return ended }
        waitNumber += 1
        let number = waitNumber
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.expire(number)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiter = continuation
        }
    }

    private func expire(_ number: Int) {
        guard number == waitNumber, let waiter else { return }
        self.waiter = nil
        waiter.resume(returning: nil)
    }

    /// Sends a request and returns the reply frame parsed as JSON. Throws ``Failure``
    /// describing a timeout, a close, a binary frame or text that is not a JSON object.
    func request(_ envelope: JSONValue, timeout: Duration) async throws(Failure) -> JSONValue {
        guard await send(envelope) else { throw Failure(description: "the connection was closed before the request could be sent") }
        return try await reply(timeout: timeout)
    }

    func reply(timeout: Duration) async throws(Failure) -> JSONValue {
        switch await next(timeout: timeout) {
        case nil: throw Failure(description: "no reply within \(timeout)")
        case .closed(let code)?: throw Failure(description: "the server closed the connection (\(code.map { "code \($0)" } ?? "no close frame"))")
        case .binary?: throw Failure(description: "the reply was a binary frame, not JSON text")
        case .text(let text)?:
            guard let value = try? JSONParser.parse(text), value.objectValue != nil else {
                throw Failure(description: "the reply is not a JSON object: \(text.prefix(120))")
            }
            return value
        }
    }

    struct Failure: Error, Sendable, CustomStringConvertible { var description: String }

    /// Closes with 1000 and waits (briefly) for the connection to end.
    func close() async {
        if let outbound { try? await outbound.close(.normalClosure, reason: nil) }
        outbound = nil
        let task = connection
        let deadline = Task { try? await Task.sleep(for: .seconds(3)); task?.cancel() }
        await task?.value
        deadline.cancel()
    }
}
