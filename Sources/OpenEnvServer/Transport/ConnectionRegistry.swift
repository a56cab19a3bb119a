import NIOCore
import Synchronization

/// The server's open connections, so shutdown can close each one politely.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) { channels.withLock { $0[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
    var count: Int { channels.withLock { $0.count } }

    /// Asks every connection to end: WebSockets send a close frame (1001, going away) after
    /// the message in progress; idle HTTP connections close, busy ones after their response.
    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(WebSocketConnectionHandler.CloseRequest(code: .goingAway))
        }
    }
}
