import Foundation
import OpenEnvClient
import OpenEnvCore

/// What `openenv collect` runs.
public struct CollectConfiguration: Sendable {
    public var baseURL: String
    public var episodes: Int
    public var concurrency: Int
    /// Steps after which an episode is cut off (`ending: "max_steps"`).
    public var maxSteps: Int
    /// Episode i is reset with seed `seed + i` (`nil`: no seed).
    public var seed: Int?
    /// The JSON Lines file; existing episodes in it are kept and skipped (resuming).
    public var output: String
    /// Add a `messages` rendering (chat with tool calls) for MCP environments.
    public var chatMessages: Bool

    public init(baseURL: String, episodes: Int, concurrency: Int, maxSteps: Int, seed: Int?, output: String, chatMessages: Bool = true) {
        self.baseURL = baseURL
        self.episodes = episodes
        self.concurrency = concurrency
        self.maxSteps = maxSteps
        self.seed = seed
        self.output = output
        self.chatMessages = chatMessages
    }
}

/// The summary metrics of a collection (over the episodes written by this run).
public struct CollectSummary: Sendable {
    public var episodes: Int
    public var skipped: Int
    public var failed: Int
    public var meanReward: Double
    public var stdReward: Double
    public var successRate: Double
    public var meanLength: Double
    public var steps: Int
    public var seconds: Double
    public var stepsPerSecond: Double { seconds > 0 ? Double(steps) / seconds : 0 }

    public var json: JSONValue {
        ["episodes": .int(episodes), "skipped": .int(skipped), "failed": .int(failed), "mean_reward": .double(meanReward),
         "std_reward": .double(stdReward), "success_rate": .double(successRate), "mean_length": .double(meanLength),
         "steps": .int(steps), "seconds": .double(seconds), "steps_per_s": .double(stepsPerSecond)]
    }
}

/// Runs episodes of an environment with a policy and writes their trajectories as JSON
/// Lines, one episode per line, as they finish (so an interrupted run loses at most the
/// episodes in progress, and a rerun skips the episode ids already written).
public enum Collector {
    public static func episodeID(_ index: Int) -> String {
        let digits = String(index)
        return "episode-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Runs the collection. `progress` gets (finished, total) after each episode.
    public static func run(
        _ configuration: CollectConfiguration, policy makePolicy: @escaping PolicyFactory,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> CollectSummary {
        let done = try finishedEpisodeIDs(in: configuration.output)
        let pending = (0..<configuration.episodes).filter { !done.contains(episodeID($0)) }
        let description = try await describe(configuration.baseURL)
        let writer = try RecordWriter(path: configuration.output)
        let queue = WorkQueue(pending)
        let started = ContinuousClock.now
        let records = try await withThrowingTaskGroup(of: [EpisodeRecord].self) { group in
            for worker in 0..<max(1, min(configuration.concurrency, pending.count)) {
                group.addTask {
                    let policy = try await makePolicy(description, worker)
                    let client = try await GenericEnvClient.connect(to: configuration.baseURL)
                    var mine: [EpisodeRecord] = []
                    while let index = await queue.next() {
                        let record = await runEpisode(index: index, client: client, policy: policy, configuration: configuration)
                        try await writer.append(record.json(chatMessages: configuration.chatMessages && description.isMCP))
                        mine.append(record)
                        progress?(await queue.finished(), pending.count)
                        if record.ending.hasPrefix("error") { _ = try? await client.reconnectToFreshSession() }
                    }
                    await client.close()
                    return mine
                }
            }
            var all: [EpisodeRecord] = []
            for try await batch in group { all += batch }
            return all
        }
        let seconds = (ContinuousClock.now - started).seconds
        let completed = records.filter { !$0.ending.hasPrefix("error") }
        let rewards = completed.map(\.totalReward)
        let mean = rewards.isEmpty ? 0 : rewards.reduce(0, +) / Double(rewards.count)
        let variance = rewards.isEmpty ? 0 : rewards.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rewards.count)
        return CollectSummary(
            episodes: records.count, skipped: configuration.episodes - pending.count, failed: records.count - completed.count,
            meanReward: mean, stdReward: variance.squareRoot(),
            successRate: completed.isEmpty ? 0 : Double(completed.filter(\.succeeded).count) / Double(completed.count),
            meanLength: completed.isEmpty ? 0 : Double(completed.map(\.length).reduce(0, +)) / Double(completed.count),
            steps: records.map(\.length).reduce(0, +), seconds: seconds)
    }

    /// One episode: reset, then policy actions until done, the step budget, or the policy stops.
    static func runEpisode(index: Int, client: GenericEnvClient, policy: any Policy, configuration: CollectConfiguration) async -> EpisodeRecord {
        let id = episodeID(index)
        let seed = configuration.seed.map { $0 + index }
        let clock = ContinuousClock()
        let start = clock.now
        var record = EpisodeRecord(episodeID: id, seed: seed, task: nil, reset: [:], steps: [], seconds: 0, ending: "done")
        var latest: PolicyInput?
        do {
            try await policy.beginEpisode(id, seed: seed)
            var last = try await client.reset(seed: seed, episodeID: id)
            record.reset = last.observation
            record.task = last.observation["task"] ?? nil
            while true {
                let input = PolicyInput(episodeID: id, step: record.steps.count, observation: last.observation, reward: last.reward, done: last.done)
                latest = input
                if last.done { break }
                guard record.steps.count < configuration.maxSteps else { record.ending = "max_steps"; break }
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

    /// The environment's action schema and, for MCP environments, its tools.
    static func describe(_ baseURL: String) async throws -> EnvironmentDescription {
        let schema = try await EnvironmentSchema.fetch(from: try ServerAddress(baseURL))
        var description = EnvironmentDescription(actionSchema: schema.action, tools: [])
        if description.isMCP {
            let tools = try await MCPToolClient.connect(to: baseURL)
            defer { Task { await tools.close() } }
            description.tools = try await tools.listTools()
        }
        return description
    }

    /// Episode ids already in the output file.
    static func finishedEpisodeIDs(in path: String) throws -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var ids: Set<String> = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let id = (try? JSONParser.parse(line))?["episode_id"]?.stringValue { ids.insert(id) }
        }
        return ids
    }
}

/// Hands out episode indices to workers.
actor WorkQueue {
    private var pending: [Int]
    private var done = 0
    init(_ pending: [Int]) { self.pending = pending.reversed() }
    func next() -> Int? { pending.popLast() }
    func finished() -> Int { done += 1; return done }
}

/// Appends JSON lines to the output file, one whole line per write.
actor RecordWriter {
    private let handle: FileHandle

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CollectError.cannotWrite(path) }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CollectError.cannotWrite(path) }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func append(_ record: JSONValue) throws {
        var bytes = JSONWriter().bytes(record)
        bytes.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: bytes)
    }
}

public enum CollectError: Error, CustomStringConvertible {
    case cannotWrite(String)
    public var description: String {
        switch self {
        case .cannotWrite(let path): "cannot write \(path)"
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
