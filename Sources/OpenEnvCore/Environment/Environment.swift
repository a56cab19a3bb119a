/// An OpenEnv environment: the Gymnasium-style API a Swift author implements.
///
/// Each session of a server owns one instance, made by the server's factory, and calls it
/// one request at a time (the session serializes calls from every transport). Being an
/// actor, an environment may keep any mutable state without locks.
///
/// ```swift
/// actor CoinFlip: Environment {
///     struct Action: Codable, Sendable { var guess: Side }
///     struct Observation: Codable, Sendable { var side: Side? }
///     static let info = EnvironmentInfo(name: "CoinFlip", envName: "coin_flip", description: "Guess the coin.")
///     private(set) var state = BasicState()
///     func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
///         state = BasicState(episodeID: episodeID ?? UUIDString.random())
///         return StepResult(Observation(side: nil))
///     }
///     func step(_ action: Action) async throws -> StepResult<Observation> { … }
/// }
/// ```
///
/// Errors thrown from `reset`, `step` or reading `state` reach the client as
/// `EXECUTION_ERROR` with the error's description; the session stays usable.
///
/// **Where calls run.** ``execution`` decides: by default (``ExecutionPolicy/threadPool``)
/// on the server's step thread pool, so a step may block or compute for long and only its
/// own session waits. An environment whose calls never block and return in microseconds
/// declares `static let execution = ExecutionPolicy.eventLoop` and runs on its connection's
/// event loop with no thread hop; a call that then blocks stalls every connection of that
/// loop.
///
/// **Deadlines.** With a step deadline (`--step-timeout`), a call still running when it
/// passes gets `SessionError.deadlineExceeded` on the wire (the caller sees an error and
/// the socket closes), the session is destroyed at once (no later call reaches this
/// instance), and the call's task is cancelled; ``close()`` runs only after the call has
/// returned, never concurrently with it. Cancellation is cooperative: a call that ignores it
/// keeps its thread until it returns. On ``ExecutionPolicy/eventLoop`` a call that blocks
/// its thread also blocks the timer, so the deadline can only act once it returns.
public protocol Environment: Actor {
    /// What an agent sends to `step`. Decoded from JSON with unknown keys rejected; its
    /// schema (`/schema` `action`) is derived from this type.
    associatedtype Action: Codable & Sendable
    /// What `step` returns (plus reward, done and metadata).
    associatedtype Observation: Codable & Sendable
    /// What `reset` returns; the same as `Observation` unless declared.
    associatedtype ResetObservation: Codable & Sendable = Observation
    associatedtype State: EnvironmentState

    static var info: EnvironmentInfo { get }

    /// Where the server runs this environment's calls; ``ExecutionPolicy/threadPool`` unless
    /// declared.
    static var execution: ExecutionPolicy { get }

    /// Starts a new episode. `episodeID` must become `state.episodeID` when given;
    /// `options` holds every other key the client sent with the reset.
    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<ResetObservation>

    /// Advances the episode by one action.
    func step(_ action: Action) async throws -> StepResult<Observation>

    /// The current state, including ``EnvironmentState/episodeID`` and ``EnvironmentState/stepCount``.
    var state: State { get }

    /// Releases resources. Called exactly once, when the session ends; no other call follows.
    func close() async
}

extension Environment {
    public func close() async {}
    public static var execution: ExecutionPolicy { .threadPool }
}

/// Random identifiers in UUID4 text form, used for generated episode and session ids.
public enum UUIDString {
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte -> String in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }
}
