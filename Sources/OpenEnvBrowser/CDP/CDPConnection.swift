import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import OpenEnvCore
import Synchronization

/// A failed DevTools Protocol exchange.
public struct CDPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case protocolError, timeout, disconnected }
    public var kind: Kind
    public var description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// One WebSocket to Chromium's browser endpoint, speaking the Chrome DevTools Protocol
/// (JSON-RPC-like: `{id, method, params, sessionId?}` out; replies `{id, result|error}` and
/// events `{method, params, sessionId?}` in). Page targets are reached through flattened
/// sessions (`Target.attachToTarget` with `flatten: true`), so one socket serves every
/// session of the server.
///
/// Contract:
/// - ``send(_:_:session:timeout:)`` returns the command's `result` or throws ``CDPError``
///   (`protocolError` for an `error` reply, `timeout` when no reply came in time,
///   `disconnected` once the socket is gone). Commands are independent: many may be in
///   flight from many tasks.
/// - Events are handed to the handler registered for their `sessionId` (browser-level
///   events: the empty string), one at a time in arrival order per connection; a handler
///   must not wait on the connection itself (spawn a task for that).
/// - When the socket ends, every pending command fails with `disconnected` and
///   `onDisconnect` runs once.
actor CDPConnection {
    typealias EventHandler = @Sendable (_ method: String, _ params: JSONObject) -> Void

    private var outbound: WebSocketOutboundWriter?
    private var pending: [Int: CheckedContinuation<JSONObject, any Error>] = [:]
    private var handlers: [String: EventHandler] = [:]
    private var nextID = 1
    private var closedReason: String?
    private var connection: Task<Void, Never>?
    private var onDisconnect: (@Sendable (String) -> Void)?
    private let logger: Logger

    private init(logger: Logger) { self.logger = logger }

    /// Connects to `url` (`ws://127.0.0.1:PORT/devtools/browser/ID`).
    static func connect(url: String, logger: Logger, onDisconnect: @escaping @Sendable (String) -> Void) async throws -> CDPConnection {
        let connection = CDPConnection(logger: logger)
        try await connection.open(url: url, onDisconnect: onDisconnect)
        return connection
    }

    private func open(url: String, onDisconnect: @escaping @Sendable (String) -> Void) async throws {
        self.onDisconnect = onDisconnect
        let logger = logger
        let configuration = WebSocketClientConfiguration(maxFrameSize: 256 << 20, closeTimeout: .seconds(2), autoPing: .disabled)
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
            let once = OnceFlag()
            connection = Task {
                var reason = "the DevTools socket closed"
                do {
                    _ = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                        await self.opened(outbound)
                        if once.claim() { ready.resume() }
                        for try await message in inbound.messages(maxSize: 256 << 20) {
                            switch message {
                            case .text(let text): await self.received(text)
                            case .binary(let buffer): await self.received(String(buffer: buffer))
                            }
                        }
                    }
                } catch {
                    reason = "the DevTools socket failed: \(error)"
                }
                if once.claim() { ready.resume(throwing: CDPError(.disconnected, reason)) }
                await self.ended(reason)
            }
        }
    }

    private func opened(_ writer: WebSocketOutboundWriter) { outbound = writer }

    /// Sends one command and waits for its result.
    func send(_ method: String, _ params: JSONObject = [:], session: String? = nil, timeout: Duration = .seconds(30)) async throws -> JSONObject {
        if let closedReason { throw CDPError(.disconnected, closedReason) }
        guard let outbound else { throw CDPError(.disconnected, "not connected") }
        let id = nextID
        nextID += 1
        var message: JSONObject = ["id": .int(id), "method": .string(method), "params": .object(params)]
        if let session { message["sessionId"] = .string(session) }
        let text = JSONWriter().string(.object(message))
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.fail(id, CDPError(.timeout, "\(method): no reply within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pending[id] = continuation
            Task {
                do { try await outbound.write(.text(text)) } catch { self.fail(id, CDPError(.disconnected, "\(method): \(error)")) }
            }
        }
    }

    /// Routes the events of `session` (`""`: the browser's own) to `handler`; `nil` removes it.
    func setHandler(_ handler: EventHandler?, for session: String) {
        handlers[session] = handler
    }

    /// Closes the socket; pending commands fail.
    func close() async {
        if let outbound { try? await outbound.close(.normalClosure, reason: nil) }
        connection?.cancel()
        ended("closed")
    }

    private func fail(_ id: Int, _ error: CDPError) {
        pending.removeValue(forKey: id)?.resume(throwing: error)
    }

    private func received(_ text: String) {
        guard let message = (try? JSONParser.parse(text))?.objectValue else {
            logger.warning("DevTools sent something that is not a JSON object")
            return
        }
        if let id = message["id"]?.intValue {
            guard let continuation = pending.removeValue(forKey: id) else { return }
            if let error = message["error"]?.objectValue {
                let text = error["message"]?.stringValue ?? "error"
                let data = error["data"]?.stringValue.map { " (\($0))" } ?? ""
                continuation.resume(throwing: CDPError(.protocolError, text + data))
            } else {
                continuation.resume(returning: message["result"]?.objectValue ?? [:])
            }
        } else if let method = message["method"]?.stringValue {
            let session = message["sessionId"]?.stringValue ?? ""
            handlers[session]?(method, message["params"]?.objectValue ?? [:])
        }
    }

    private func ended(_ reason: String) {
        guard closedReason == nil else { return }
        closedReason = reason
        outbound = nil
        let waiting = pending
        pending = [:]
        for (_, continuation) in waiting { continuation.resume(throwing: CDPError(.disconnected, reason)) }
        onDisconnect?(reason)
        onDisconnect = nil
    }
}

/// A flag that can be claimed once, from any thread.
final class OnceFlag: Sendable {
    private let claimed = Atomic<Bool>(false)
    func claim() -> Bool { !claimed.exchange(true, ordering: .acquiringAndReleasing) }
}
