/// An environment that runs an agent harness: an agent loop (a model calling the
/// environment's tools) that lives on the server, driven one conversational turn at a time.
///
/// In production mode the server exposes such environments on the `/harness` WebSocket
/// (spec §2.9): a connection is a session, reset once when it opens; each
/// `{"type":"message","content":…}` frame runs ``runTurn(_:emit:)`` and streams its events.
public protocol HarnessProviding: Actor {
    /// The harness's name, sent in `session_started`.
    var harnessName: String { get }
    /// How long one turn may take before the session is ended with an error.
    var turnTimeout: Duration { get }
    /// Whether the harness can take a turn (it was started by a reset and has not died).
    var isHarnessRunning: Bool { get }

    /// Runs one turn on `message`, calling `emit` for each event as it happens, in order.
    /// Returns normally only after emitting a `turn_complete` event; throws when the turn
    /// failed (the harness's state is then undefined and the session ends). `emit` throws
    /// when nobody listens any more (the client left): the turn should stop by rethrowing.
    func runTurn(_ message: String, emit: @escaping @Sendable @concurrent (HarnessEvent) async throws -> Void) async throws
}
