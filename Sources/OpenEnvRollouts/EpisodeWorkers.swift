import OpenEnvClient
import OpenEnvCore

/// An episode that has run, with the plan it ran.
struct FinishedEpisode: Sendable {
    var plan: EpisodePlan
    var record: EpisodeRecord
}

/// Runs planned episodes on concurrent workers. Each worker has its own policy (from the
/// factory) and its own session, takes the next plan when its episode ends, and moves to
/// a fresh session after an episode that failed (the old one may be lost).
enum EpisodeWorkers {
    /// Runs every plan once, `concurrency` at a time. `finished` is called (from the
    /// worker) after each episode with the episode and how many have finished so far; an
    /// error it throws stops the run.
    static func run(
        _ plans: [EpisodePlan], baseURL: String, client connection: ClientConfiguration = ClientConfiguration(), concurrency: Int, maxSteps: Int,
        environment: EnvironmentDescription, policy makePolicy: @escaping PolicyFactory,
        finished: @escaping @Sendable (FinishedEpisode, Int) async throws -> Void
    ) async throws -> [FinishedEpisode] {
        let queue = WorkQueue(Array(plans.indices))
        return try await withThrowingTaskGroup(of: [FinishedEpisode].self) { group in
            for worker in 0..<max(1, min(concurrency, plans.count)) {
                group.addTask {
                    let policy = try await makePolicy(environment, worker)
                    let client = try await GenericEnvClient.connect(to: baseURL, configuration: connection)
                    var mine: [FinishedEpisode] = []
                    while let index = await queue.next() {
                        let record = await EpisodeRunner.run(plans[index], client: client, policy: policy, maxSteps: maxSteps)
                        let episode = FinishedEpisode(plan: plans[index], record: record)
                        try await finished(episode, await queue.finished())
                        mine.append(episode)
                        if record.failed { _ = try? await client.reconnectToFreshSession() }
                    }
                    await client.close()
                    return mine
                }
            }
            var all: [FinishedEpisode] = []
            for try await batch in group { all += batch }
            return all
        }
    }
}

/// Hands out plan indices to workers.
actor WorkQueue {
    private var pending: [Int]
    private var done = 0
    init(_ pending: [Int]) { self.pending = pending.reversed() }
    func next() -> Int? { pending.popLast() }
    func finished() -> Int { done += 1; return done }
}
