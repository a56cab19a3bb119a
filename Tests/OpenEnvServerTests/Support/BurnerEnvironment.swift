import NIOPosix
import Synchronization
import OpenEnvCore

/// A typed environment whose step computes (spins on the CPU, never yielding) for the
/// milliseconds asked: the careless author's environment. It keeps the default execution
/// policy, so the server runs it on the step pool.
actor BurnerEnvironment: Environment {
    struct Action: Codable, Sendable { var burnMilliseconds: Int }
    struct Observation: Codable, Sendable {
        var spins: Int
        /// Whether the step ran on one of the server's event-loop threads.
        var onEventLoop: Bool
    }

    static let info = EnvironmentInfo(name: "Burner", envName: "burner", description: "test burner", defaultMaxSessions: 16)
    private(set) var state = BasicState()

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        StepResult(Observation(spins: 0, onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .milliseconds(action.burnMilliseconds))
        var spins = 0
        while clock.now < end { spins &+= 1 }
        return StepResult(Observation(spins: spins, onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
    }
}

/// The same burner declaring the event-loop fast path, to show where the policy puts a call.
actor InlineBurnerEnvironment: Environment {
    typealias Action = BurnerEnvironment.Action
    typealias Observation = BurnerEnvironment.Observation
    static let info = EnvironmentInfo(name: "InlineBurner", envName: "inline_burner", description: "test burner", defaultMaxSessions: 16)
    static let execution = ExecutionPolicy.eventLoop
    private(set) var state = BasicState()

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        StepResult(Observation(spins: 0, onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        StepResult(Observation(spins: 0, onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
    }
}

/// The burner as a ``SynchronousEnvironment``, on the execution policy `Policy` names: a
/// synchronous environment is stepped inline only where its policy puts its calls anyway.
final class SynchronousBurnerEnvironment<Policy: BurnerPolicy>: SynchronousEnvironment {
    typealias Action = BurnerEnvironment.Action
    typealias Observation = BurnerEnvironment.Observation
    typealias State = BasicState
    static var info: EnvironmentInfo {
        EnvironmentInfo(name: "SynchronousBurner", envName: "synchronous_burner", description: "test burner", defaultMaxSessions: 16)
    }
    static var execution: ExecutionPolicy { Policy.execution }
    private let steps = Mutex(0)
    var stateNow: BasicState { BasicState(stepCount: steps.withLock { $0 }) }

    func resetNow(seed: Int?, episodeID: String?, options: JSONObject) -> StepResult<Observation> {
        StepResult(Observation(spins: 0, onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
    }

    func stepNow(_ action: Action) -> StepResult<Observation> {
        steps.withLock { $0 += 1 }
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .milliseconds(action.burnMilliseconds))
        var spins = 0
        while clock.now < end { spins &+= 1 }
        return StepResult(Observation(spins: spins, onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
    }
}

protocol BurnerPolicy: Sendable { static var execution: ExecutionPolicy { get } }
enum OnThreadPool: BurnerPolicy { static var execution: ExecutionPolicy { .threadPool } }
enum OnEventLoop: BurnerPolicy { static var execution: ExecutionPolicy { .eventLoop } }
