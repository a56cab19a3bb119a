import ArgumentParser
import Foundation
import OpenEnvCore
import OpenEnvCatalog
import OpenEnvRollouts

/// `openenv eval`: evaluate a policy on a taskset split (`openenv eval run`, the default)
/// and compare two results files (`openenv eval compare`).
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a policy on a split of an environment's tasks (pass rate, pass@k), or compare two evaluations.",
        subcommands: [EvalRunCommand.self, EvalCompareCommand.self],
        defaultSubcommand: EvalRunCommand.self)
}

/// `openenv eval [run]`: every task of a split, K samples each.
struct EvalRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every task of a split K times with a policy and write per-task results (the default of `openenv eval`).",
        discussion: """
            The tasks are found through the server's Task API (/list_environments, /{env_name}/splits, num_tasks). \
            Sample j of task i is reset with options split and index=i, seed SEED+j and episode id SPLIT-iiiiii-jjj. \
            A sample passes when it ends done with a total reward above --pass-threshold; an episode that fails \
            (server error, lost session) counts as not passing and is reported under errors. pass@k is the unbiased \
            estimator 1 - C(n-c,k)/C(n,k), averaged over tasks, for k = 1, the powers of two below K, and K. \
            The exit status is 2 when an episode failed (the results are written all the same).
            """)

    @OptionGroup var target: ServerTarget

    @Option(help: "The split to evaluate (one of the environment's /splits).")
    var split: String

    @Option(name: [.customShort("k"), .long], help: "Samples per task (K).")
    var samples = 1

    @Option(help: "Which tasks: all, N (the first N), or START:STOP (a Python slice: 5:10, :4, -3:).")
    var tasks = "all"

    @Option(name: [.customShort("c"), .long], help: "Episodes run at once (one session each).")
    var concurrency = 4

    @OptionGroup var policyOptions: PolicyOptions

    @Option(help: "A sample passes when it ends done with a total reward above this.")
    var passThreshold = 0.0

    @Option(help: "The results file to write (JSON: configuration, summary, one entry per task).")
    var out: String

    @Option(help: "Also write every episode to this JSON Lines file (openenv collect's format plus split, task_index, sample, passed).")
    var trajectories: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard samples >= 1, concurrency >= 1, policyOptions.maxSteps >= 1 else { throw ValidationError("-k, --concurrency and --max-steps must be at least 1") }
        guard TaskSubset(tasks) != nil else { throw ValidationError("--tasks must be all, a count N ≥ 1, or START:STOP") }
        guard passThreshold.isFinite else { throw ValidationError("--pass-threshold must be a number") }
    }

    func run() async throws {
        let factory = policyOptions.makeFactory()
        let progress: (@Sendable (Int, Int) -> Void)? = isatty(2) == 1 ? CollectCommand.showProgress : nil
        var labels = policyOptions.recorded
        labels["env"] = target.env.map(JSONValue.string) ?? JSONValue.null
        var settings = EvalConfiguration(
            baseURL: "", split: split, samples: samples, tasks: TaskSubset(tasks)!, concurrency: concurrency,
            maxSteps: policyOptions.maxSteps, seed: policyOptions.seed, passThreshold: passThreshold, trajectories: trajectories, labels: labels)
        settings.client.headers = target.token.headers()
        let configuration = settings
        let results: EvalResults
        do {
            let inProcess = target.env != nil
            results = try await target.run(maxSessions: concurrency + 2, label: "openenv.eval") { url in
                var configuration = configuration
                configuration.baseURL = url
                var results = try await Evaluator.run(configuration, policy: factory, progress: progress)
                // The in-process server's port means nothing later.
                if inProcess { results.configuration["url"] = JSONValue.null }
                return results
            }
        } catch {
            if progress != nil { CollectCommand.showProgress(0, 0) }
            throw error
        }
        if progress != nil { CollectCommand.showProgress(0, 0) }
        try results.write(to: out)
        let summary = results.summary
        if json {
            print(JSONWriter().string(summary.json))
        } else {
            let passAtK = summary.passAtK.keys.sorted().map { "pass@\($0) \(Self.format(summary.passAtK[$0]!))" }.joined(separator: ", ")
            print("""
                evaluated \(summary.tasks) tasks × \(summary.samplesPerTask) samples of \(results.environmentName ?? "?") split \(split) \
                (\(summary.episodes) episodes, \(summary.errors) failed) in \(String(format: "%.2f", summary.seconds)) s: \
                mean reward \(Self.format(summary.meanReward)), pass rate \(Self.format(summary.passRate)), \(passAtK) → \(out)
                """)
        }
        if summary.errors > 0 { throw ExitCode(2) }
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// `openenv eval compare A B`: metric deltas and flipped tasks.
struct EvalCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two `openenv eval` results files: metric deltas (B − A) and the tasks that flipped.",
        discussion: """
            A task is solved when at least one of its samples passed; "gained" tasks failed in A and are solved in B, \
            "lost" ones the reverse. The files must evaluate the same split and the same tasks (exit status 1 otherwise); \
            a different environment name, K or policy is noted.
            """)

    @Argument(help: "The baseline results file.")
    var a: String

    @Argument(help: "The results file compared with it.")
    var b: String

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    func run() async throws {
        let comparison = try EvalComparison(try EvalResults.read(from: a), try EvalResults.read(from: b))
        if json {
            print(JSONWriter().string(comparison.json))
            return
        }
        print("A: \(a)\nB: \(b)")
        for note in comparison.notes { print("note: \(note)") }
        let width = max(12, comparison.metrics.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ n: Int) -> String { text + String(repeating: " ", count: max(0, n - text.count)) }
        print(pad("metric", width) + "  " + pad("A", 8) + "  " + pad("B", 8) + "  B − A")
        for metric in comparison.metrics {
            let isCount = metric.name == "errors"
            let show = { (v: Double) in isCount ? String(Int(v)) : EvalRunCommand.format(v) }
            let delta = isCount ? String(format: "%+d", Int(metric.delta)) : String(format: "%+.3f", metric.delta)
            print(pad(metric.name, width) + "  " + pad(show(metric.a), 8) + "  " + pad(show(metric.b), 8) + "  " + delta)
        }
        func describe(_ changes: [EvalComparison.TaskChange]) -> String {
            changes.isEmpty ? "none" : changes.map { "\($0.index)" + ($0.taskID.map { " (\($0))" } ?? "") + " \($0.a.c)/\($0.a.n) → \($0.b.c)/\($0.b.n)" }.joined(separator: ", ")
        }
        print("gained (failed in A, solved in B): \(describe(comparison.gained))")
        print("lost (solved in A, failed in B): \(describe(comparison.lost))")
        print("\(comparison.changed.count) task(s) changed pass fraction")
    }
}
