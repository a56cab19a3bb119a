import Foundation
import OpenEnvCore

/// The results of one task: its K samples, in sample order.
public struct EvalTaskResult: Sendable, Equatable {
    /// The task's index in its split.
    public var index: Int
    /// The task's id when the reset observation carries one (`task_id`, or the `id` of its `task`).
    public var taskID: String?
    /// Each sample's total reward; `nil` for a sample that ended in an error.
    public var rewards: [Double?]
    /// Whether each sample passed (``EvalConfiguration/passThreshold``).
    public var passed: [Bool]
    /// Each sample's ending: `done`, `max_steps`, `policy_stopped` or `error: …`.
    public var endings: [String]

    public init(index: Int, taskID: String?, rewards: [Double?], passed: [Bool], endings: [String]) {
        self.index = index
        self.taskID = taskID
        self.rewards = rewards
        self.passed = passed
        self.endings = endings
    }

    /// Samples run.
    public var n: Int { passed.count }
    /// Samples that passed.
    public var c: Int { passed.filter { $0 }.count }
    /// Samples that ended in an error (counted in `n`, never passes).
    public var errors: Int { endings.filter { $0.hasPrefix("error") }.count }
    /// Whether any sample passed.
    public var solved: Bool { c > 0 }
    /// The mean total reward of the samples that did not fail; `nil` when all failed.
    public var meanReward: Double? {
        let values = rewards.compactMap { $0 }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The task's pass@k (``PassAtK/estimate(n:c:k:)``); `k` must be at most `n`.
    public func passAtK(_ k: Int) -> Double { PassAtK.estimate(n: n, c: c, k: k) }

    /// The task's entry in a results file.
    public var json: JSONValue {
        var passAtK = JSONObject()
        for k in PassAtK.reportedKs(samples: n) { passAtK[String(k)] = .double(self.passAtK(k)) }
        return [
            "index": .int(index), "task_id": taskID.map(JSONValue.string) ?? nil, "n": .int(n), "c": .int(c), "errors": .int(errors),
            "mean_reward": meanReward.map(JSONValue.double) ?? nil, "pass_at_k": .object(passAtK),
            "rewards": .array(rewards.map { $0.map(JSONValue.double) ?? nil }), "passed": .array(passed.map(JSONValue.bool)),
            "endings": .array(endings.map(JSONValue.string)),
        ]
    }

    /// Reads a task entry of a results file.
    public init(json: JSONValue) throws(EvalResults.FormatError) {
        guard let index = json["index"]?.intValue else { throw .init("a task without an integer index") }
        guard let passed = json["passed"]?.arrayValue?.compactMap(\.boolValue), passed.count == json["passed"]?.arrayValue?.count, !passed.isEmpty else {
            throw .init("task \(index): `passed` should be a non-empty list of booleans")
        }
        let rewards = json["rewards"]?.arrayValue?.map(\.doubleValue) ?? Array(repeating: nil, count: passed.count)
        let endings = json["endings"]?.arrayValue?.compactMap(\.stringValue) ?? Array(repeating: "done", count: passed.count)
        guard rewards.count == passed.count, endings.count == passed.count else {
            throw .init("task \(index): `rewards`, `passed` and `endings` should have one entry per sample")
        }
        self.init(index: index, taskID: json["task_id"].flatMap(EvalResults.idText), rewards: rewards, passed: passed, endings: endings)
    }
}

/// The aggregate metrics of an evaluation.
public struct EvalSummary: Sendable, Equatable {
    public var tasks: Int
    /// Samples per task (K).
    public var samplesPerTask: Int
    public var episodes: Int
    /// Episodes that ended in an error: counted as failures in the pass metrics, left out of the rewards.
    public var errors: Int
    public var passes: Int
    /// Mean total reward over the episodes that did not fail.
    public var meanReward: Double
    /// Passes over all episodes (errors included). Every task has K samples, so this is pass@1.
    public var passRate: Double
    /// pass@k for ``PassAtK/reportedKs(samples:)`` (k = 1, powers of two, K): the mean over tasks.
    public var passAtK: [Int: Double]
    /// Mean steps per episode that did not fail.
    public var meanLength: Double
    public var steps: Int
    public var seconds: Double

    /// The metrics of `results`; `meanLength`, `steps` and `seconds` are measured by the run.
    public init(tasks results: [EvalTaskResult], samplesPerTask: Int, meanLength: Double = 0, steps: Int = 0, seconds: Double = 0) {
        tasks = results.count
        self.samplesPerTask = samplesPerTask
        episodes = results.map(\.n).reduce(0, +)
        errors = results.map(\.errors).reduce(0, +)
        passes = results.map(\.c).reduce(0, +)
        let rewards = results.flatMap { $0.rewards.compactMap { $0 } }
        meanReward = rewards.isEmpty ? 0 : rewards.reduce(0, +) / Double(rewards.count)
        passRate = episodes == 0 ? 0 : Double(passes) / Double(episodes)
        var passAtK: [Int: Double] = [:]
        let counts = results.map { (n: $0.n, c: $0.c) }
        for k in PassAtK.reportedKs(samples: samplesPerTask) where counts.allSatisfy({ $0.n >= k }) {
            passAtK[k] = PassAtK.mean(counts, k: k)
        }
        self.passAtK = passAtK
        self.meanLength = meanLength
        self.steps = steps
        self.seconds = seconds
    }

    /// The `summary` of a results file.
    public var json: JSONValue {
        var passAtK = JSONObject()
        for k in self.passAtK.keys.sorted() { passAtK[String(k)] = .double(self.passAtK[k]!) }
        return [
            "tasks": .int(tasks), "k": .int(samplesPerTask), "episodes": .int(episodes), "errors": .int(errors), "passes": .int(passes),
            "mean_reward": .double(meanReward), "pass_rate": .double(passRate), "pass_at_k": .object(passAtK),
            "mean_length": .double(meanLength), "steps": .int(steps), "seconds": .double(seconds),
        ]
    }
}

/// An `openenv eval` results file: the configuration, the summary and one entry per task.
///
/// Written with one top-level key per line and one task per line, so files diff well:
///
///     {
///     "format": "openenv-eval/1",
///     "configuration": {"url": …, "env_name": "qa_env", "split": "test", "k": 4, …},
///     "summary": {"tasks": 8, "k": 4, "episodes": 32, "errors": 0, "mean_reward": …, "pass_rate": …, "pass_at_k": {"1": …, "2": …, "4": …}, …},
///     "tasks": [
///     {"index": 0, "task_id": "test-000", "n": 4, "c": 4, …},
///     …
///     ]
///     }
public struct EvalResults: Sendable, Equatable {
    public static let format = "openenv-eval/1"

    /// What was run: `url`, `env_name`, `split`, `k`, `tasks`, `seed`, `max_steps`,
    /// `pass_threshold`, `concurrency`, `date`, and whatever the caller added (the policy).
    public var configuration: JSONObject
    public var summary: EvalSummary
    public var tasks: [EvalTaskResult]

    public init(configuration: JSONObject, summary: EvalSummary, tasks: [EvalTaskResult]) {
        self.configuration = configuration
        self.summary = summary
        self.tasks = tasks
    }

    public var split: String? { configuration["split"]?.stringValue }
    public var environmentName: String? { configuration["env_name"]?.stringValue }

    /// The whole file as one JSON value (``text`` is the same, laid out).
    public var json: JSONValue {
        ["format": .string(Self.format), "configuration": .object(configuration), "summary": summary.json, "tasks": .array(tasks.map(\.json))]
    }

    /// The file's text (the layout above).
    public var text: String {
        let writer = JSONWriter()
        let head = [
            "\"format\": " + writer.string(.string(Self.format)),
            "\"configuration\": " + writer.string(.object(configuration)),
            "\"summary\": " + writer.string(summary.json),
        ]
        let tasks = self.tasks.isEmpty ? "[]" : "[\n" + self.tasks.map { writer.string($0.json) }.joined(separator: ",\n") + "\n]"
        return "{\n" + head.joined(separator: ",\n") + ",\n\"tasks\": " + tasks + "\n}\n"
    }

    /// Writes ``text`` to `path` (replacing it); throws ``EvalError/cannotWrite(_:)``.
    public func write(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw EvalError.cannotWrite(path) }
    }

    /// Reads a results file written by ``write(to:)``; throws ``EvalError/unreadableResults(path:reason:)``.
    public static func read(from path: String) throws -> EvalResults {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.unreadableResults(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(data) } catch { throw EvalError.unreadableResults(path: path, reason: "not JSON: \(error)") }
        do {
            return try EvalResults(json: json)
        } catch {
            throw EvalError.unreadableResults(path: path, reason: "not an openenv eval results file: \(error.reason)")
        }
    }

    /// Reads a results file's JSON; the summary metrics are recomputed from the task entries.
    public init(json: JSONValue) throws(FormatError) {
        guard json["format"]?.stringValue == Self.format else { throw .init("`format` is not \"\(Self.format)\"") }
        guard let configuration = json["configuration"]?.objectValue else { throw .init("no `configuration` object") }
        guard let entries = json["tasks"]?.arrayValue else { throw .init("no `tasks` list") }
        let tasks = try entries.map { (entry) throws(FormatError) in try EvalTaskResult(json: entry) }
        let samples = configuration["k"]?.intValue ?? tasks.map(\.n).max() ?? 1
        let summary = json["summary"]
        self.init(
            configuration: configuration,
            summary: EvalSummary(
                tasks: tasks, samplesPerTask: samples, meanLength: summary?["mean_length"]?.doubleValue ?? 0,
                steps: summary?["steps"]?.intValue ?? 0, seconds: summary?["seconds"]?.doubleValue ?? 0),
            tasks: tasks)
    }

    /// What is wrong with a results file's contents.
    public struct FormatError: Error, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// A task id as text: strings as they are, integers in decimal.
    static func idText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        default: nil
        }
    }
}
