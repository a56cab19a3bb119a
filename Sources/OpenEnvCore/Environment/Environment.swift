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
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // variant 10
        let hex = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { text in
            var i = 0
            func put(_ word: UInt64, _ nibbles: ClosedRange<Int>) {
                for n in nibbles.reversed() {
                    text[i] = hex[Int((word >> UInt64(n * 4)) & 0xF)]
                    i += 1
                }
            }
            put(high, 8...15); text[i] = UInt8(ascii: "-"); i += 1
            put(high, 4...7); text[i] = UInt8(ascii: "-"); i += 1
            put(high, 0...3); text[i] = UInt8(ascii: "-"); i += 1
            put(low, 12...15); text[i] = UInt8(ascii: "-"); i += 1
            put(low, 0...11)
            return i
        }
    }
}
