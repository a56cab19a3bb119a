import Foundation
import OpenEnvClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvQA
import OpenEnvRollouts
import OpenEnvServer
import OpenEnvTestSupport
import Testing

@Suite struct PassAtKTests {
    /// 1 − C(n−c, k) / C(n, k) with exact binomials, for small n.
    static func exact(n: Int, c: Int, k: Int) -> Double {
        func choose(_ n: Int, _ k: Int) -> Double {
            guard k >= 0, k <= n else { return 0 }
            var value = 1.0
            for i in 0..<k { value = value * Double(n - i) / Double(i + 1) }
            return value
        }
        return 1 - choose(n - c, k) / choose(n, k)
    }

    @Test func matchesHandComputedValues() {
        // n = 5, c = 2: pass@1 = c/n; pass@2 = 1 − C(3,2)/C(5,2) = 1 − 3/10; pass@3 = 1 − C(3,3)/C(5,3) = 1 − 1/10.
        #expect(abs(PassAtK.estimate(n: 5, c: 2, k: 1) - 0.4) < 1e-12)
        #expect(abs(PassAtK.estimate(n: 5, c: 2, k: 2) - 0.7) < 1e-12)
        #expect(abs(PassAtK.estimate(n: 5, c: 2, k: 3) - 0.9) < 1e-12)
        // k > n − c: every draw of k holds a pass.
        #expect(PassAtK.estimate(n: 5, c: 2, k: 4) == 1)
        #expect(PassAtK.estimate(n: 5, c: 2, k: 5) == 1)
        // n = 10, c = 3, k = 5: 1 − C(7,5)/C(10,5) = 1 − 21/252.
        #expect(abs(PassAtK.estimate(n: 10, c: 3, k: 5) - (1 - 21.0 / 252)) < 1e-12)
        // n = c: always 1; c = 0: always 0.
        for k in 1...4 {
            #expect(PassAtK.estimate(n: 4, c: 4, k: k) == 1)
            #expect(PassAtK.estimate(n: 4, c: 0, k: k) == 0)
        }
        #expect(PassAtK.estimate(n: 1, c: 1, k: 1) == 1)
        #expect(PassAtK.estimate(n: 1, c: 0, k: 1) == 0)
    }

    @Test func agreesWithTheBinomialFormulaAndStaysStableForLargeN() {
        for n in 1...12 {
            for c in 0...n {
                for k in 1...n {
                    #expect(abs(PassAtK.estimate(n: n, c: c, k: k) - Self.exact(n: n, c: c, k: k)) < 1e-12, "n \(n) c \(c) k \(k)")
                }
            }
        }
        // C(200, 100) ≈ 9e58 would lose everything in a naive ratio of factorials; the product does not:
        // 1 − C(199,100)/C(200,100) = 1 − 100/200.
        #expect(abs(PassAtK.estimate(n: 200, c: 1, k: 100) - 0.5) < 1e-12)
        #expect(abs(PassAtK.estimate(n: 1000, c: 1, k: 1) - 0.001) < 1e-15)
    }

    @Test func reportsOneThePowersOfTwoAndK() {
        #expect(PassAtK.reportedKs(samples: 1) == [1])
        #expect(PassAtK.reportedKs(samples: 2) == [1, 2])
        #expect(PassAtK.reportedKs(samples: 4) == [1, 2, 4])
        #expect(PassAtK.reportedKs(samples: 5) == [1, 2, 4, 5])
        #expect(PassAtK.reportedKs(samples: 10) == [1, 2, 4, 8, 10])
        #expect(abs(PassAtK.mean([(n: 4, c: 4), (n: 4, c: 2), (n: 4, c: 0)], k: 2) - (1 + 5.0 / 6) / 3) < 1e-12)
    }

    @Test func taskSubsetsAreCountsOrPythonSlices() throws {
        #expect(try #require(TaskSubset("all")).indices(count: 3) == [0, 1, 2])
        #expect(try #require(TaskSubset("2")).indices(count: 8) == [0, 1])
        #expect(try #require(TaskSubset("20")).indices(count: 8) == Array(0..<8))
        #expect(try #require(TaskSubset("5:7")).indices(count: 8) == [5, 6])
        #expect(try #require(TaskSubset(":2")).indices(count: 8) == [0, 1])
        #expect(try #require(TaskSubset("-3:")).indices(count: 8) == [5, 6, 7])
        #expect(try #require(TaskSubset("6:100")).indices(count: 8) == [6, 7])
        #expect(try #require(TaskSubset("5:2")).indices(count: 8) == [])
        #expect(TaskSubset("5:7").map(\.description) == "5:7")
        for bad in ["", "0", "-1", "x", "1:2:3", "a:b"] { #expect(TaskSubset(bad) == nil, "\(bad)") }
    }
}

/// Answers the `qa` environment's questions knowing the answers (read through the Task
/// API, as a grader would): right for tasks with index ≡ 0 (mod 3), right on odd seeds
/// for index ≡ 1, never for index ≡ 2; `failing` indices throw on seed 0 (an episode error).
final class KnowingPolicy: Policy, @unchecked Sendable {
    // @unchecked: `seed` is set by beginEpisode and read by act, one episode at a time (a worker's).
    let answers: [String: String]
    let rule: @Sendable (_ index: Int, _ seed: Int) -> Bool
    let failing: Set<Int>
    private var seed = 0

    init(answers: [String: String], failing: Set<Int> = [], rule: @escaping @Sendable (Int, Int) -> Bool) {
        self.answers = answers
        self.failing = failing
        self.rule = rule
    }

    static let byThirds: @Sendable (Int, Int) -> Bool = { index, seed in index % 3 == 0 || (index % 3 == 1 && seed % 2 == 1) }
    static let evenIndices: @Sendable (Int, Int) -> Bool = { index, _ in index % 2 == 0 }

    func beginEpisode(_ episodeID: String, seed: Int?) async throws { self.seed = seed ?? 0 }

    func act(_ input: PolicyInput) async throws -> JSONValue? {
        guard let index = input.observation["index"]?.intValue, let id = input.observation["task_id"]?.stringValue else {
            throw PolicyError.badReply("no index or task_id in \(input.observation)")
        }
        if failing.contains(index) && seed == 0 { throw PolicyError.badReply("deliberate failure on task \(index)") }
        return ["answer": .string(rule(index, seed) ? answers[id]! : "certainly not this")]
    }

    /// The answers of a split, from the server's Task API.
    static func answers(_ url: String, split: String) async throws -> [String: String] {
        let tasks = TaskAPIClient(address: try ServerAddress(url))
        var answers: [String: String] = [:]
        for index in 0..<(try await tasks.numTasks(environment: "qa_env", split: split)) {
            let task = try await tasks.task(environment: "qa_env", split: split, index: index)
            answers[task["id"]!.stringValue!] = task["answer"]!.stringValue!
        }
        return answers
    }
}

@Suite struct EvaluatorTests {
    let qa = EnvironmentFactory { try await QAEnvironment.builtin() }

    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func evaluatesEveryTaskKTimesAndAggregates() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trajectories = directory.appendingPathComponent("episodes.jsonl").path
        let (results, again) = try await withInProcessServer(qa) { port in
            let url = "http://127.0.0.1:\(port)"
            let answers = try await KnowingPolicy.answers(url, split: "test")
            let policy: PolicyFactory = { _, _ in KnowingPolicy(answers: answers, rule: KnowingPolicy.byThirds) }
            let configuration = EvalConfiguration(baseURL: url, split: "test", samples: 4, concurrency: 3, seed: 0, trajectories: trajectories,
                                                  labels: ["policy": "knowing"])
            return (try await Evaluator.run(configuration, policy: policy),
                    try await Evaluator.run(EvalConfiguration(baseURL: url, split: "test", samples: 4, concurrency: 1, seed: 0), policy: policy))
        }
        // 8 test tasks: index ≡ 0 (mod 3) passes 4/4 (0, 3, 6), ≡ 1 passes on seeds 1 and 3 (1, 4, 7), ≡ 2 never (2, 5).
        #expect(results.tasks.map(\.index) == Array(0..<8))
        #expect(results.tasks.map(\.c) == [4, 2, 0, 4, 2, 0, 4, 2])
        #expect(results.tasks.allSatisfy { $0.n == 4 && $0.errors == 0 && $0.endings == ["done", "done", "done", "done"] })
        #expect(results.tasks.map(\.taskID) == (0..<8).map { "test-00\($0)" })
        #expect(results.tasks[1].passed == [false, true, false, true], "sample j has seed j")
        #expect(results.tasks[1].rewards == [0, 1, 0, 1])
        let summary = results.summary
        #expect(summary.tasks == 8 && summary.episodes == 32 && summary.passes == 18 && summary.errors == 0)
        #expect(abs(summary.passRate - 18.0 / 32) < 1e-12)
        #expect(abs(summary.meanReward - 18.0 / 32) < 1e-12)
        #expect(Set(summary.passAtK.keys) == [1, 2, 4])
        #expect(abs(summary.passAtK[1]! - (3 + 3 * 0.5) / 8) < 1e-12)
        #expect(abs(summary.passAtK[2]! - (3 + 3 * 5.0 / 6) / 8) < 1e-12)
        #expect(abs(summary.passAtK[4]! - 6.0 / 8) < 1e-12)
        #expect(results.configuration["env_name"] == "qa_env" && results.split == "test" && results.configuration["k"] == 4)
        #expect(results.configuration["seed"] == 0 && results.configuration["policy"] == "knowing")
        // Reruns repeat (another concurrency, same seeds).
        #expect(again.tasks == results.tasks)

        // The trajectories: every episode once, in collect's format plus the task coordinates.
        let lines = try String(contentsOfFile: trajectories, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.count == 32)
        let ids = Set(lines.compactMap { $0["episode_id"]?.stringValue })
        #expect(ids == Set((0..<8).flatMap { index in (0..<4).map { Evaluator.episodeID(split: "test", index: index, sample: $0) } }))
        for line in lines {
            let index = try #require(line["task_index"]?.intValue), sample = try #require(line["sample"]?.intValue)
            #expect(line["seed"]?.intValue == sample)
            #expect(line["reset_observation"]?["index"]?.intValue == index)
            #expect(line["split"] == "test")
            #expect(line["passed"]?.boolValue == results.tasks[index].passed[sample])
        }

        // The results file round-trips.
        let file = directory.appendingPathComponent("results.json").path
        try results.write(to: file)
        let read = try EvalResults.read(from: file)
        #expect(read.tasks == results.tasks)
        #expect(read.configuration == results.configuration)
        #expect(read.summary.passAtK == results.summary.passAtK && read.summary.passRate == results.summary.passRate)
    }

    @Test func failedEpisodesAreErrorsNotPasses() async throws {
        let results = try await withInProcessServer(qa) { port in
            let url = "http://127.0.0.1:\(port)"
            let answers = try await KnowingPolicy.answers(url, split: "test")
            return try await Evaluator.run(
                EvalConfiguration(baseURL: url, split: "test", samples: 2, tasks: .first(4), concurrency: 2, seed: 0),
                policy: { _, _ in KnowingPolicy(answers: answers, failing: [0], rule: KnowingPolicy.evenIndices) })
        }
        #expect(results.tasks.map(\.index) == [0, 1, 2, 3])
        let failed = results.tasks[0]
        #expect(failed.n == 2 && failed.errors == 1 && failed.c == 1 && failed.passed == [false, true])
        #expect(failed.endings[0].hasPrefix("error") && failed.rewards == [nil, 1])
        #expect(results.summary.errors == 1 && results.summary.episodes == 8 && results.summary.passes == 3)
        #expect(abs(results.summary.passRate - 3.0 / 8) < 1e-12, "the error counts as a sample that did not pass")
        #expect(abs(results.summary.meanReward - 3.0 / 7) < 1e-12, "the error's reward is left out")
        #expect(results.tasks[2].c == 2 && results.tasks[1].c == 0)
    }

    @Test func comparesTwoResultsFiles() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, b, firstHalf, train) = try await withInProcessServer(qa) { port in
            let url = "http://127.0.0.1:\(port)"
            let answers = try await KnowingPolicy.answers(url, split: "test")
            func run(_ rule: @escaping @Sendable (Int, Int) -> Bool, tasks: TaskSubset = .all, split: String = "test") async throws -> EvalResults {
                try await Evaluator.run(EvalConfiguration(baseURL: url, split: split, samples: 4, tasks: tasks, seed: 0),
                                        policy: { _, _ in KnowingPolicy(answers: answers, rule: rule) })
            }
            return (try await run(KnowingPolicy.byThirds), try await run(KnowingPolicy.evenIndices),
                    try await run(KnowingPolicy.evenIndices, tasks: .slice(start: 0, stop: 4)),
                    try await run({ _, _ in false }, tasks: .first(8), split: "train"))
        }
        let paths = ["a", "b", "half", "train"].map { directory.appendingPathComponent("\($0).json").path }
        for (results, path) in zip([a, b, firstHalf, train], paths) { try results.write(to: path) }

        let comparison = try EvalComparison(try EvalResults.read(from: paths[0]), try EvalResults.read(from: paths[1]))
        // A passes [4, 2, 0, 4, 2, 0, 4, 2] of 4, B [4, 0, 4, 0, 4, 0, 4, 0].
        #expect(comparison.gained.map(\.index) == [2])
        #expect(comparison.lost.map(\.index) == [1, 3, 7])
        #expect(comparison.changed.map(\.index) == [1, 2, 3, 4, 7])
        let first = try #require(comparison.lost.first)
        #expect(first.taskID == "test-001" && first.a == (2, 4) && first.b == (0, 4))
        let metrics = Dictionary(uniqueKeysWithValues: comparison.metrics.map { ($0.name, $0) })
        #expect(Set(metrics.keys) == ["mean_reward", "pass_rate", "pass@1", "pass@2", "pass@4", "errors"])
        #expect(abs(metrics["pass_rate"]!.delta - (16.0 / 32 - 18.0 / 32)) < 1e-12)
        #expect(abs(metrics["pass@4"]!.delta - (4.0 / 8 - 6.0 / 8)) < 1e-12)
        #expect(comparison.json["metrics"]?["pass@1"]?["delta"]?.doubleValue == metrics["pass@1"]!.delta)

        // Different task sets or splits, and files that are not results, are refused clearly.
        #expect(throws: EvalError.mismatch("A has 8 tasks, B 4; only in A: 4, 5, 6, 7")) {
            try EvalComparison(try EvalResults.read(from: paths[0]), try EvalResults.read(from: paths[2]))
        }
        #expect(throws: EvalError.mismatch("A evaluates split 'test', B split 'train'")) {
            try EvalComparison(try EvalResults.read(from: paths[0]), try EvalResults.read(from: paths[3]))
        }
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(throws: EvalError.unreadableResults(path: missing, reason: "no such file")) { try EvalResults.read(from: missing) }
        let notJSON = directory.appendingPathComponent("bad.json").path
        try "{ not json".write(toFile: notJSON, atomically: true, encoding: .utf8)
        #expect { try EvalResults.read(from: notJSON) } throws: { "\($0)".contains("not JSON") }
        var renamed = b
        renamed.tasks[0].taskID = "other-000"
        #expect(throws: EvalError.mismatch("task 0 is 'test-000' in A but 'other-000' in B (different datasets?)")) { try EvalComparison(a, renamed) }
    }

    @Test func unknownSplitsAndServersWithoutTasksAreClearErrors() async throws {
        try await withInProcessServer(qa) { port in
            await #expect(throws: EvalError.unknownSplit("dev", available: ["train", "test"])) {
                try await Evaluator.run(EvalConfiguration(baseURL: "http://127.0.0.1:\(port)", split: "dev"),
                                        policy: { environment, _ in RandomPolicy(environment: environment, seed: 0) })
            }
            await #expect(throws: EvalError.noTasksSelected(split: "test", selection: "9:", count: 8)) {
                try await Evaluator.run(EvalConfiguration(baseURL: "http://127.0.0.1:\(port)", split: "test", tasks: .slice(start: 9, stop: nil)),
                                        policy: { environment, _ in RandomPolicy(environment: environment, seed: 0) })
            }
        }
        // An environment without tasks: the Task API routes answer 501.
        _ = try await withInProcessServer(EnvironmentFactory { GridEnvironment() }) { port in
            await #expect {
                try await Evaluator.run(EvalConfiguration(baseURL: "http://127.0.0.1:\(port)", split: "test"),
                                        policy: { environment, _ in RandomPolicy(environment: environment, seed: 0) })
            } throws: { error in
                guard case EvalError.noTasks(let environment, let detail) = error else { return false }
                return environment == "grid_env" && detail.contains("HTTP 501") && "\(error)".contains("serves no tasks")
            }
        }
        // A server with no Task API at all.
        _ = try await withLoopbackHTTPServer({ _ in .json(["detail": "Not Found"], status: 404) }) { server in
            await #expect {
                try await Evaluator.run(EvalConfiguration(baseURL: server.baseURL, split: "test"),
                                        policy: { environment, _ in RandomPolicy(environment: environment, seed: 0) })
            } throws: { error in
                guard case EvalError.noTaskAPI(_, let detail) = error else { return false }
                return detail == "GET /list_environments: HTTP 404 Not Found" && "\(error)".contains("does not serve the Task API")
            }
        }
    }
}
