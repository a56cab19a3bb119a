/// Where a server runs an environment's `reset`, `step`, `state` and tool calls.
///
/// A server holds thousands of sessions on a few event-loop threads (one per core). A call
/// that runs on an event loop and blocks it (a synchronous read, `sleep`, a long
/// computation) stalls every other connection of that loop for as long as it runs, and a
/// step deadline cannot fire on a loop that is blocked. Off the loop, the same call delays
/// only its own session.
///
/// The default is ``threadPool``. Choose ``eventLoop`` only for an environment whose calls
/// never block and finish in microseconds (echo, a grid world, a board game): it saves one
/// thread hop per call.
public enum ExecutionPolicy: String, Sendable, CaseIterable {
    /// On the connection's event loop, with no thread hop: the fastest path, for calls that
    /// never block and return in microseconds.
    case eventLoop = "event-loop"
    /// On the server's step thread pool (`--step-threads`, default twice the cores, at
    /// least four): calls may block or compute for long without delaying other sessions.
    /// A call that blocks holds one pool thread while it does.
    case threadPool = "thread-pool"
}
