import NIOCore
import NIOWebSocket
import OpenEnvCore
import Synchronization

/// The server's open connections (HTTP and WebSocket), so shutdown can drain each one.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Tracks `channel` until it closes.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.channels[id] = nil
                guard state.channels.isEmpty else { return [] }
                defer { state.emptyWaiters = [] }
                return state.emptyWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    var count: Int { state.withLock { $0.channels.count } }

    /// Asks every connection to drain (`ChannelShouldQuiesceEvent`): a WebSocket answers the
    /// messages it has received, then closes with 1001; an HTTP connection closes when idle,
    /// or after the response in progress.
    func quiesceAll() {
        for channel in state.withLock({ Array($0.channels.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    /// Ends every connection still open now: a WebSocket gets a close frame with `code` and
    /// `reason` and is closed once it is written; an HTTP connection is closed.
    func failAll(code: WebSocketErrorCode, reason: String) {
        for channel in state.withLock({ Array($0.channels.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(
                WebSocketConnectionHandler.CloseRequest(code: code, reason: reason, immediately: true))
            channel.eventLoop.scheduleTask(in: .milliseconds(200)) { channel.close(promise: nil) }
        }
    }

    /// Returns once no connection is open, or after `timeout`; `true` when none is open.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        let emptied: Bool? = try? await withDeadline(timeout, {
            await withCheckedContinuation { continuation in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.channels.isEmpty { return true }
                    state.emptyWaiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return true
        }, onTimeout: { CancellationError() })
        if emptied == nil {
            // The waiter left behind is resumed when the last connection closes.
            return count == 0
        }
        return true
    }
}
