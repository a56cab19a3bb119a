import OpenEnvCore

/// One server session driven by `reset`, `step` and `state` (an owned `/ws` socket, an
/// attached socket, or HTTP routes). Each request gets exactly one reply, in order.
///
/// Implementations are actors and report failures only as ``OpenEnvError``. Once a
/// session is lost every later request fails with ``OpenEnvError/sessionLost(_:)``;
/// transports never reconnect on their own.
protocol SessionTransport: Sendable {
    /// The server's id for the session when the client knows it (HTTP-created sessions);
    /// `nil` for a session owned by a `/ws` socket or for stateless HTTP.
    var sessionID: String? { get }
    /// Resets the environment with these keyword arguments; returns the `observation`
    /// payload (`{"observation":…,"reward":…,"done":…,"metadata"?:…}`).
    func reset(_ arguments: JSONObject) async throws(OpenEnvError) -> JSONObject
    /// Sends one action; returns the `observation` payload.
    func step(_ action: JSONValue) async throws(OpenEnvError) -> JSONObject
    /// Returns the environment's state as the server sent it.
    func state() async throws(OpenEnvError) -> JSONValue
    /// Ends the session on the server (best effort) and releases the connection. Waits
    /// until the connection is gone, so the server has freed the slot by the time a
    /// replacement connects. Idempotent.
    func close() async
}

/// Opens a new session; called once per connection and again for each explicit
/// reconnection.
typealias SessionConnector = @Sendable () async throws(OpenEnvError) -> any SessionTransport
