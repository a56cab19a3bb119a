import OpenEnvClient
import OpenEnvCore

/// One episode to run: the id and seed sent with `reset`, and the reset's other options
/// (`split` and `index` for a task of a taskset, nothing for `openenv collect`).
public struct EpisodePlan: Sendable, Hashable {
    public var episodeID: String
    public var seed: Int?
    /// Keyword arguments of the environment's reset, sent next to `seed` and `episode_id`.
    public var options: JSONObject

    public init(episodeID: String, seed: Int?, options: JSONObject = [:]) {
        self.episodeID = episodeID
        self.seed = seed
        self.options = options
    }
}

/// The episode loop shared by `openenv collect` and `openenv eval`.
public enum EpisodeRunner {
    /// Runs one episode on `client`'s session: reset with the plan's seed, id and options,
    /// then the policy's actions until `done`, `maxSteps` steps (`ending: "max_steps"`), or
    /// the policy stops (`"policy_stopped"`). Never throws: a failure ends the episode with
    /// `ending: "error: …"`, keeping the steps taken before it.
    public static func run(_ plan: EpisodePlan, client: GenericEnvClient, policy: any Policy, maxSteps: Int) async -> EpisodeRecord {
        let clock = ContinuousClock()
        let start = clock.now
        var record = EpisodeRecord(episodeID: plan.episodeID, seed: plan.seed, task: nil, reset: [:], steps: [], seconds: 0, ending: "done")
        var latest: PolicyInput?
        do {
            try await policy.beginEpisode(plan.episodeID, seed: plan.seed)
            var last = try await client.reset(seed: plan.seed, episodeID: plan.episodeID, options: plan.options)
            record.reset = last.observation
            record.task = last.observation["task"] ?? nil
            while true {
                let input = PolicyInput(episodeID: plan.episodeID, step: record.steps.count, observation: last.observation, reward: last.reward, done: last.done)
                latest = input
                if last.done { break }
                guard record.steps.count < maxSteps else { record.ending = "max_steps"; break }
                guard let action = try await policy.act(input) else { record.ending = "policy_stopped"; break }
                last = try await client.step(action)
                record.steps.append(StepRecord(action: action, observation: last.observation, reward: last.reward, done: last.done))
            }
        } catch {
            record.ending = "error: \(error)"
        }
        record.policyFields = await policy.episodeRecord(final: latest)
        await policy.endEpisode()
        record.seconds = (clock.now - start).seconds
        return record
    }
}
