import OpenEnvCore

/// A test environment whose step sleeps as long as the action says.
actor SlowEnvironment: Environment {
    struct Action: Codable, Sendable { var sleepMilliseconds: Int }
    struct Observation: Codable, Sendable { var slept: Int }

    static let info = EnvironmentInfo(name: "SlowEnvironment", envName: "slow_env", description: "sleeps", defaultMaxSessions: 8)
    private(set) var state = BasicState()

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        state = BasicState(episodeID: episodeID ?? "slow")
        return StepResult(Observation(slept: 0))
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        try await Task.sleep(for: .milliseconds(action.sleepMilliseconds))
        state.stepCount += 1
        return StepResult(Observation(slept: action.sleepMilliseconds), reward: .int(state.stepCount))
    }
}
