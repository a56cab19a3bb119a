/// An OpenEnv environment: the Gymnasium-style API a Swift author implements.
///
/// Each session of a server owns one instance, made by the server's factory, and calls it
/// one request at a time (the session serializes calls from every transport). Usually an
/// actor, which may keep any mutable state without locks:
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
/// An environment whose calls never suspend can skip the actor: see
/// ``SynchronousEnvironment``.
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
public protocol Environment: AnyObject, Sendable {
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
    /// (`async` so that an actor's isolated property satisfies it; a class's plain one does too.)
    var state: State { get async }

    /// Releases resources. Called exactly once, when the session ends; no other call follows.
    func close() async
}

extension Environment {
    public func close() async {}
    public static var execution: ExecutionPolicy { .threadPool }
}

/// An environment whose `reset`, `step` and `state` never suspend: a `final class` with its
/// mutable state behind a `Mutex`, written with synchronous methods. The `async` ones of
/// ``Environment`` are derived from them.
///
/// What it saves: a call into an actor is a trip through the caller's executor queue and
/// another back (about 1 µs together, most of what a grid step cost the server beyond its
/// transport), and a `/ws` step of a synchronous environment on
/// ``ExecutionPolicy/eventLoop`` is answered in the event loop's read handler, with no task
/// at all, when nothing else is queued for its session (docs/benchmarks.md). The lock is
/// uncontended (the session makes one call at a time); it is there because the type must
/// be `Sendable`.
///
/// ```swift
/// final class Counter: SynchronousEnvironment {
///     struct Action: Codable, Sendable { var add: Int }
///     struct Observation: Codable, Sendable { var total: Int }
///     static let info = EnvironmentInfo(name: "Counter", envName: "counter", description: "Adds.")
///     typealias State = BasicState  // named, not inferred from `stateNow`
///     static let execution = ExecutionPolicy.eventLoop
///     private let current = Mutex(BasicState())
///     var stateNow: BasicState { current.withLock { $0 } }
///     func resetNow(seed: Int?, episodeID: String?, options: JSONObject) -> StepResult<Observation> { … }
///     func stepNow(_ action: Action) -> StepResult<Observation> { … }
/// }
/// ```
///
/// Tools, tasks and harnesses (``ToolProviding``, ``TaskProviding``, ``HarnessProviding``)
/// still need an actor. The contracts are those of ``Environment``'s methods; errors thrown
/// here reach the client the same way.
public protocol SynchronousEnvironment: Environment {
    /// ``Environment/reset(seed:episodeID:options:)``, without suspending.
    func resetNow(seed: Int?, episodeID: String?, options: JSONObject) throws -> StepResult<ResetObservation>
    /// ``Environment/step(_:)``, without suspending.
    func stepNow(_ action: Action) throws -> StepResult<Observation>
    /// ``Environment/state``, without suspending.
    var stateNow: State { get }
}

extension SynchronousEnvironment {
    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<ResetObservation> {
        try resetNow(seed: seed, episodeID: episodeID, options: options)
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> { try stepNow(action) }

    public var state: State { stateNow }
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
