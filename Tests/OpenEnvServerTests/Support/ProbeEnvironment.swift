import OpenEnvCore
import Synchronization

/// Counts what the server does to environments, across instances.
final class ProbeLedger: Sendable {
    private let state = Mutex<(made: Int, closed: Int, inFlight: Int, maxInFlight: Int, calls: Int)>((0, 0, 0, 0, 0))
    var made: Int { state.withLock { $0.made } }
    /// Calls that started, in all instances.
    var calls: Int { state.withLock { $0.calls } }
    var closed: Int { state.withLock { $0.closed } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    func didMake() { state.withLock { $0.made += 1 } }
    func didClose() { state.withLock { $0.closed += 1 } }
    func enter() { state.withLock { $0.calls += 1; $0.inFlight += 1; $0.maxInFlight = max($0.maxInFlight, $0.inFlight) } }
    func leave() { state.withLock { $0.inFlight -= 1 } }
}

/// A test environment whose step sleeps for the requested time, so tests can observe
/// serialization, deadlines and shutdown. Its ledger records constructions, closes and
/// the largest number of calls that ever ran inside one instance at once.
actor ProbeEnvironment: Environment {
    struct Action: Codable, Sendable { var sleepMilliseconds: Int }
    struct Observation: Codable, Sendable { var count: Int }

    static let info = EnvironmentInfo(name: "ProbeEnvironment", envName: "probe_env", description: "test probe", defaultMaxSessions: 4)

    let ledger: ProbeLedger
    private(set) var state = BasicState()

    init(ledger: ProbeLedger) {
        self.ledger = ledger
        ledger.didMake()
    }

    static func factory(_ ledger: ProbeLedger) -> EnvironmentFactory { EnvironmentFactory { ProbeEnvironment(ledger: ledger) } }

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        state = BasicState(episodeID: episodeID ?? "generated")
        return StepResult(Observation(count: 0), reward: 0.0)
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        ledger.enter()
        defer { ledger.leave() }
        try await Task.sleep(for: .milliseconds(action.sleepMilliseconds))
        state.stepCount += 1
        return StepResult(Observation(count: state.stepCount), reward: .int(state.stepCount))
    }

    func close() async { ledger.didClose() }
}
