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
    /// How the clients connect: headers (a bearer token), TLS, timeouts.
    public var client = ClientConfiguration()

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
        let description = try await describe(configuration.baseURL, client: configuration.client)
        let writer = try RecordWriter(path: configuration.output)
        let plans = pending.map { index in EpisodePlan(episodeID: episodeID(index), seed: configuration.seed.map { $0 + index }) }
        let chatMessages = configuration.chatMessages && description.isMCP
        let started = ContinuousClock.now
        let records = try await EpisodeWorkers.run(
            plans, baseURL: configuration.baseURL, client: configuration.client, concurrency: configuration.concurrency,
            maxSteps: configuration.maxSteps, environment: description, policy: makePolicy
        ) { episode, finished in
            try await writer.append(episode.record.json(chatMessages: chatMessages))
            progress?(finished, pending.count)
        }.map(\.record)
        let seconds = (ContinuousClock.now - started).seconds
        let completed = records.filter { !$0.failed }
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

    /// The environment's action schema and, for MCP environments, its tools.
    static func describe(_ baseURL: String, client: ClientConfiguration) async throws -> EnvironmentDescription {
        let schema = try await EnvironmentSchema.fetch(from: try ServerAddress(baseURL), configuration: client)
        var description = EnvironmentDescription(actionSchema: schema.action, tools: [])
        if description.isMCP {
            let tools = try await MCPToolClient.connect(to: baseURL, configuration: client)
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

/// Appends JSON lines to the output file, one whole line per write.
actor RecordWriter {
    private let handle: FileHandle

    /// Opens `path` for appending (creating it), or empties it first when `truncating`.
    init(path: String, truncating: Bool = false) throws {
        if truncating || !FileManager.default.fileExists(atPath: path) {
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
