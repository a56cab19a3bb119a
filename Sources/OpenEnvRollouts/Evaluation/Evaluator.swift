import Foundation
import OpenEnvClient
import OpenEnvCore

/// What `openenv eval` runs. `samples`, `concurrency` and `maxSteps` must be at least 1.
public struct EvalConfiguration: Sendable {
    public var baseURL: String
    public var split: String
    /// Samples per task (K).
    public var samples: Int
    public var tasks: TaskSubset
    /// Episodes run at once (one session each).
    public var concurrency: Int
    /// Steps after which an episode is cut off (`ending: "max_steps"`).
    public var maxSteps: Int
    /// Sample j of every task is reset with seed `seed + j` (`nil`: no seed is sent).
    public var seed: Int?
    /// A sample passes when it ends `done` with a total reward above this.
    public var passThreshold: Double
    /// A JSON Lines file for the episodes, in `openenv collect`'s format plus `split`,
    /// `task_index`, `sample` and `passed` (overwritten).
    public var trajectories: String?
    /// Add a `messages` rendering to trajectories of MCP environments.
    public var chatMessages: Bool
    /// Added to the results' configuration (e.g. the policy and its command).
    public var labels: JSONObject
    /// How the clients connect: headers (a bearer token), TLS, timeouts.
    public var client = ClientConfiguration()

    public init(
        baseURL: String, split: String, samples: Int = 1, tasks: TaskSubset = .all, concurrency: Int = 4, maxSteps: Int = 100,
        seed: Int? = nil, passThreshold: Double = 0, trajectories: String? = nil, chatMessages: Bool = true, labels: JSONObject = [:]
    ) {
        self.baseURL = baseURL
        self.split = split
        self.samples = samples
        self.tasks = tasks
        self.concurrency = concurrency
        self.maxSteps = maxSteps
        self.seed = seed
        self.passThreshold = passThreshold
        self.trajectories = trajectories
        self.chatMessages = chatMessages
        self.labels = labels
    }

    /// Whether an episode passes: it ended `done` with a total reward above the threshold.
    public func passes(_ record: EpisodeRecord) -> Bool { record.ending == "done" && record.totalReward > passThreshold }
}

/// Evaluates a policy on a split of an environment's taskset: finds the tasks through the
/// Task API, runs every selected task K times (reset with options `split` and `index`, and
/// seed `seed + sample`), C episodes at a time, and aggregates pass rate, pass@k and reward.
public enum Evaluator {
    /// The id of sample `sample` of task `index`: `test-000003-001`.
    public static func episodeID(split: String, index: Int, sample: Int) -> String {
        "\(split)-\(padded(index, 6))-\(padded(sample, 3))"
    }

    /// Runs the evaluation. `progress` gets (finished, total) episodes after each one.
    /// Episodes that fail are recorded (ending `error: …`), not thrown; the run throws
    /// ``EvalError`` when the server has no tasks, the split is unknown or no task is selected.
    public static func run(
        _ configuration: EvalConfiguration, policy makePolicy: @escaping PolicyFactory,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> EvalResults {
        precondition(configuration.samples >= 1 && configuration.concurrency >= 1 && configuration.maxSteps >= 1)
        let discovered = try await TaskDiscovery.discover(baseURL: configuration.baseURL, split: configuration.split, client: configuration.client)
        let indices = configuration.tasks.indices(count: discovered.count)
        guard !indices.isEmpty else {
            throw EvalError.noTasksSelected(split: configuration.split, selection: configuration.tasks.description, count: discovered.count)
        }
        let description = try await Collector.describe(configuration.baseURL, client: configuration.client)
        let writer = try configuration.trajectories.map { try RecordWriter(path: $0, truncating: true) }
        var plans: [EpisodePlan] = []
        var slots: [String: (index: Int, sample: Int)] = [:]
        for index in indices {
            for sample in 0..<configuration.samples {
                let id = episodeID(split: configuration.split, index: index, sample: sample)
                plans.append(EpisodePlan(episodeID: id, seed: configuration.seed.map { $0 + sample },
                                         options: ["split": .string(configuration.split), "index": .int(index)]))
                slots[id] = (index, sample)
            }
        }
        let chatMessages = configuration.chatMessages && description.isMCP
        let date = Date()
        let started = ContinuousClock.now
        let episodes = try await EpisodeWorkers.run(
            plans, baseURL: configuration.baseURL, client: configuration.client, concurrency: configuration.concurrency,
            maxSteps: configuration.maxSteps, environment: description, policy: makePolicy
        ) { [plans, slots] episode, finished in
            if let writer, let slot = slots[episode.plan.episodeID], case .object(var line) = episode.record.json(chatMessages: chatMessages) {
                line["split"] = .string(configuration.split)
                line["task_index"] = .int(slot.index)
                line["sample"] = .int(slot.sample)
                line["passed"] = .bool(configuration.passes(episode.record))
                try await writer.append(.object(line))
            }
            progress?(finished, plans.count)
        }
        let seconds = (ContinuousClock.now - started).seconds
        var byTask: [Int: [(sample: Int, record: EpisodeRecord)]] = [:]
        for episode in episodes {
            guard let slot = slots[episode.plan.episodeID] else { continue }
            byTask[slot.index, default: []].append((slot.sample, episode.record))
        }
        let results = indices.map { index in
            let samples = (byTask[index] ?? []).sorted { $0.sample < $1.sample }.map(\.record)
            return EvalTaskResult(
                index: index, taskID: samples.lazy.compactMap(taskID).first,
                rewards: samples.map { $0.failed ? nil : $0.totalReward }, passed: samples.map(configuration.passes),
                endings: samples.map(\.ending))
        }
        let completed = episodes.map(\.record).filter { !$0.failed }
        let summary = EvalSummary(
            tasks: results, samplesPerTask: configuration.samples,
            meanLength: completed.isEmpty ? 0 : Double(completed.map(\.length).reduce(0, +)) / Double(completed.count),
            steps: episodes.map(\.record.length).reduce(0, +), seconds: seconds)
        var recorded: JSONObject = [
            "url": .string(configuration.baseURL), "env_name": .string(discovered.environment), "split": .string(configuration.split),
            "num_tasks": .int(discovered.count), "tasks": .string(configuration.tasks.description), "k": .int(configuration.samples),
            "seed": configuration.seed.map(JSONValue.int) ?? nil, "max_steps": .int(configuration.maxSteps),
            "pass_threshold": .double(configuration.passThreshold), "concurrency": .int(configuration.concurrency),
            "date": .string(date.formatted(.iso8601)),
        ]
        for member in configuration.labels { recorded[member.key] = member.value }
        return EvalResults(configuration: recorded, summary: summary, tasks: results)
    }

    /// The task id an episode's reset observation carries: `task_id`, else its `task`'s `id`.
    static func taskID(_ record: EpisodeRecord) -> String? {
        record.reset["task_id"].flatMap(EvalResults.idText) ?? record.task["id"].flatMap(EvalResults.idText)
    }

    private static func padded(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
