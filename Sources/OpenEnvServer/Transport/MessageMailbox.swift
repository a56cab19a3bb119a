import NIOCore
import Synchronization

/// The complete messages of one WebSocket connection on their way from its event loop
/// (``push(_:)``) to its task (``next()``), in order.
///
/// A push to a task that waits in ``next()`` resumes it (one enqueue on the task's
/// executor); pushes to a busy task are buffered and taken without suspending. After
/// ``stop()`` buffered and later messages are dropped (the connection is closing); after
/// ``finish()`` the waiting or next ``next()`` returns `nil` (the connection is gone).
final class MessageMailbox: Sendable {
    private enum Taken { case message(WebSocketMessage), end, wait }

    private struct State {
        var buffer = CircularBuffer<WebSocketMessage>()
        var waiter: CheckedContinuation<WebSocketMessage?, Never>?
        var stopped = false
        var finished = false

        mutating func take() -> Taken {
            if let message = buffer.popFirst() { return .message(message) }
            return finished ? .end : .wait
        }
    }

    private let state = Mutex(State())

    /// Hands `message` to the task (dropped once stopped).
    func push(_ message: WebSocketMessage) {
        let waiter = state.withLock { state -> CheckedContinuation<WebSocketMessage?, Never>? in
            guard !state.stopped else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    /// Drops the buffered messages and every later push.
    func stop() {
        state.withLock { state in
            state.stopped = true
            state.buffer.removeAll()
        }
    }

    /// No message comes any more: ``next()`` returns `nil` from now on.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<WebSocketMessage?, Never>? in
            state.stopped = true
            state.finished = true
            state.buffer.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next message, waiting for one if none is buffered; `nil` once finished. Runs on
    /// its caller's executor and resumes there. One caller at a time.
    func next() async -> WebSocketMessage? {
        switch state.withLock({ $0.take() }) {
        case .message(let message): return message
        case .end: return nil
        case .wait: break
        }
        return await withCheckedContinuation { continuation in
            let taken = state.withLock { state -> Taken in
                let taken = state.take()
                if case .wait = taken { state.waiter = continuation }
                return taken
            }
            switch taken {
            case .message(let message): continuation.resume(returning: message)
            case .end: continuation.resume(returning: nil)
            case .wait: break
            }
        }
    }
}
