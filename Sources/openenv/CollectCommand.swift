import ArgumentParser
import Foundation
import Logging
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvRollouts
import OpenEnvServer

/// `openenv collect`: run episodes with a policy and write trajectories as JSON Lines.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Run N episodes with a policy and write their trajectories as JSON Lines.",
        discussion: """
            Each line is one episode: episode_id, seed, reset_observation, steps (action, observation, reward, done), \
            total_reward, length, seconds, ending, success, and for MCP environments a `messages` rendering (chat with \
            tool calls, as TRL's conversational datasets expect). Rerunning with the same --out skips the episodes \
            already written.
            """)

    @Option(help: "Base URL of a running OpenEnv server (ours or the Python reference).")
    var url: String?

    @Option(help: "Instead of --url: start this built-in environment in-process on a free port.")
    var env: String?

    @Option(help: "Episodes to run.")
    var episodes = 10

    @Option(name: [.customShort("c"), .long], help: "Episodes run at once (one session each).")
    var concurrency = 4

    @Option(help: "random (valid actions sampled from /schema or the MCP tools) or scripted (see --command).")
    var policy = "random"

    @Option(help: "The scripted policy: a shell command reading one JSON observation per line on stdin and writing one JSON action (or null) per line.")
    var command: String?

    @Option(help: "Steps after which an episode is cut off.")
    var maxSteps = 100

    @Option(help: "Episode i is reset with seed SEED+i; also seeds the random policy.")
    var seed: Int?

    @Option(help: "The JSON Lines file to write (appended; finished episodes are skipped).")
    var out: String

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard (url == nil) != (env == nil) else { throw ValidationError("give exactly one of --url and --env") }
        if let env, BuiltinEnvironments.named(env) == nil { throw ValidationError("unknown environment '\(env)'") }
        guard ["random", "scripted"].contains(policy) else { throw ValidationError("--policy must be random or scripted") }
        if policy == "scripted" && command == nil { throw ValidationError("--policy scripted needs --command") }
        guard episodes >= 1, concurrency >= 1, maxSteps >= 1 else { throw ValidationError("--episodes, --concurrency and --max-steps must be at least 1") }
    }

    func run() async throws {
        let factory = policyFactory()
        let progress: (@Sendable (Int, Int) -> Void)? = isatty(2) == 1 ? Self.showProgress : nil
        let summary: CollectSummary
        if let url {
            summary = try await Collector.run(configuration(url), policy: factory, progress: progress)
        } else {
            summary = try await withBuiltinServer(env!) { url in try await Collector.run(configuration(url), policy: factory, progress: progress) }
        }
        if progress != nil { Self.showProgress(0, 0) }
        if json {
            print(JSONWriter().string(summary.json))
        } else {
            print("""
                collected \(summary.episodes) episodes (\(summary.skipped) skipped, \(summary.failed) failed) in \(String(format: "%.2f", summary.seconds)) s: \
                mean reward \(String(format: "%.3f", summary.meanReward)) ± \(String(format: "%.3f", summary.stdReward)), \
                success rate \(String(format: "%.2f", summary.successRate)), mean length \(String(format: "%.1f", summary.meanLength)), \
                \(String(format: "%.0f", summary.stepsPerSecond)) steps/s → \(out)
                """)
        }
        if summary.failed > 0 { throw ExitCode(2) }
    }

    private func configuration(_ url: String) -> CollectConfiguration {
        CollectConfiguration(baseURL: url, episodes: episodes, concurrency: concurrency, maxSteps: maxSteps, seed: seed, output: out)
    }

    private func policyFactory() -> PolicyFactory {
        let (policy, command, seed) = (self.policy, self.command, UInt64(bitPattern: Int64(self.seed ?? 0)))
        return { environment, _ in
            if policy == "scripted" { return try ScriptedPolicy(command: ["sh", "-c", command!]) }
            return RandomPolicy(environment: environment, seed: seed)
        }
    }

    /// Serves a built-in environment in-process on a free port while `body` runs.
    private func withBuiltinServer<T: Sendable>(_ name: String, _ body: @Sendable (String) async throws -> T) async throws -> T {
        var logger = Logger(label: "openenv.collect")
        logger.logLevel = .warning
        let server = OpenEnvServer(
            factory: BuiltinEnvironments.named(name)!.factory,
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxSessions: concurrency + 2), logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ExitCode.failure }
        let result = try await body("http://127.0.0.1:\(port)")
        task.cancel()
        _ = await task.result
        return result
    }

    @Sendable static func showProgress(_ done: Int, _ total: Int) {
        FileHandle.standardError.write(Data((total == 0 ? "\r\u{1B}[2K" : "\r\u{1B}[2K\(done)/\(total) episodes").utf8))
    }
}
