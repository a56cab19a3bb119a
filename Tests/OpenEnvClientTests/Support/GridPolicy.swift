import OpenEnvClient
import OpenEnvEnvironments

typealias GridClient = EnvClient<GridEnvironment.Action, GridEnvironment.Observation, GridEnvironment.State>

/// The greedy move toward the goal: rows first, then columns.
func greedyMove(_ observation: GridEnvironment.Observation) -> GridEnvironment.Action {
    if observation.row < observation.goalRow { return .init(.down) }
    if observation.row > observation.goalRow { return .init(.up) }
    if observation.col < observation.goalCol { return .init(.right) }
    return .init(.left)
}

/// Plays one greedy episode to the goal; returns the rewards of its steps.
func playGreedyEpisode(_ client: GridClient, seed: Int, episodeID: String) async throws -> (start: GridEnvironment.Observation, rewards: [Reward?], last: StepResult<GridEnvironment.Observation>) {
    let start = try await client.reset(seed: seed, episodeID: episodeID)
    var result = start
    var rewards: [Reward?] = []
    while !result.done {
        result = try await client.step(greedyMove(result.observation))
        rewards.append(result.reward)
        guard rewards.count <= 10 else { throw TestFailure("greedy walk did not reach the goal") }
    }
    return (start.observation, rewards, result)
}
