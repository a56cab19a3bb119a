import ArgumentParser
import Foundation
import OpenEnvCore
import OpenEnvCatalog
import OpenEnvRollouts

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

    @OptionGroup var target: ServerTarget

    @Option(help: "Episodes to run.")
    var episodes = 10

    @Option(name: [.customShort("c"), .long], help: "Episodes run at once (one session each).")
    var concurrency = 4

    @OptionGroup var policyOptions: PolicyOptions

    @Option(help: "The JSON Lines file to write (appended; finished episodes are skipped).")
    var out: String

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard episodes >= 1, concurrency >= 1, policyOptions.maxSteps >= 1 else { throw ValidationError("--episodes, --concurrency and --max-steps must be at least 1") }
    }

    func run() async throws {
        let factory = policyOptions.makeFactory()
        let progress: (@Sendable (Int, Int) -> Void)? = isatty(2) == 1 ? Self.showProgress : nil
        let summary = try await target.run(maxSessions: concurrency + 2, label: "openenv.collect") { url in
            try await Collector.run(configuration(url), policy: factory, progress: progress)
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
        var configuration = CollectConfiguration(
            baseURL: url, episodes: episodes, concurrency: concurrency, maxSteps: policyOptions.maxSteps, seed: policyOptions.seed, output: out)
        configuration.client.headers = target.token.headers()
        return configuration
    }

    @Sendable static func showProgress(_ done: Int, _ total: Int) {
        FileHandle.standardError.write(Data((total == 0 ? "\r\u{1B}[2K" : "\r\u{1B}[2K\(done)/\(total) episodes").utf8))
    }
}
