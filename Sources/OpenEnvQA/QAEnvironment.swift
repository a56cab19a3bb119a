import Foundation
import OpenEnvChatClient
import OpenEnvCore
import OpenEnvRewards
import OpenEnvTasks

/// Question answering over a dataset: each episode asks one question; the single step
/// answers it, is graded by a rubric and ends the episode.
///
/// - Tasks: a ``Taskset`` (the built-in one ships with swift-openenv, in JSON Lines and
///   Parquet); the Task API lists its splits and rows. `reset(split:, index:)` picks a
///   task by index (Python semantics), `reset(seed:)` by seeded shuffle, a bare reset at
///   random; the default split is `train`.
/// - Reward (range `0...1`): the best of `exact` (normalized text against the answer
///   and its aliases), `numeric` (numeric tasks: within 1e-6, relative 1e-9), and, when
///   configured, `judge` (an ``LLMJudge``, consulted only when neither match gives 1).
///   The components go into the step's metadata under `rubric`.
public actor QAEnvironment: Environment, TasksetBacked {
    public static let info = EnvironmentInfo(
        name: "QAEnvironment", envName: "qa_env",
        description: "Question answering: reset picks a task (split/index, or seed), one step answers it (reward 0..1).",
        rewardRange: 0...1)

    public nonisolated let taskset: Taskset
    private let picker: TaskPicker<QATask>
    private let textRubric: any Rubric<Action, QATask>
    private let numericRubric: any Rubric<Action, QATask>
    public private(set) var state = State(episodeID: nil, stepCount: 0, split: nil, index: nil, taskID: nil, answered: false)
    private var current: TaskPicker<QATask>.Pick?

    /// `judge`, when given, grades answers the exact and numeric matches reject.
    public init(taskset: Taskset, mapping: FieldMapping = .identity, defaultSplit: String = "train", judge: LLMJudge<Action, QATask>? = nil) {
        self.taskset = taskset
        picker = TaskPicker(taskset: taskset, mapping: mapping, defaultSplit: defaultSplit)
        let exact = ExactMatch<Action, QATask>(answer: \.answer, expected: { [$0.answer] + ($0.aliases ?? []) })
        let numeric = NumericMatch<Action, QATask>(absoluteTolerance: 1e-6, relativeTolerance: 1e-9, answer: \.answer, expected: \.answer)
        var text = [NamedRubric("exact", exact)]
        var numbers = [NamedRubric("exact", exact), NamedRubric("numeric", numeric)]
        if let judge {
            text.append(NamedRubric("judge", judge))
            numbers.append(NamedRubric("judge", judge))
        }
        textRubric = try! Maximum(text)
        numericRubric = try! Maximum(numbers)
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        let pick = try picker.pick(seed: seed, options: options)
        current = pick
        state = State(episodeID: episodeID ?? UUIDString.random(), stepCount: 0, split: pick.split, index: pick.index, taskID: pick.task.id, answered: false)
        return StepResult(observation(pick, correct: nil))
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> {
        guard let pick = current else { throw QAError.noTask }
        guard !state.answered else { throw QAError.alreadyAnswered }
        state.stepCount += 1
        let rubric = pick.task.isNumeric ? numericRubric : textRubric
        let score = try await rubric.evaluate(action, pick.task)
        state.answered = true
        return StepResult(observation(pick, correct: score.value >= 1), score: score, done: true)
    }

    private func observation(_ pick: TaskPicker<QATask>.Pick, correct: Bool?) -> Observation {
        Observation(question: pick.task.question, taskID: pick.task.id, split: pick.split, index: pick.index, correct: correct,
                    expectedAnswer: correct == nil ? nil : pick.task.answer)
    }

    /// Misuse of an episode, reported to the client as `EXECUTION_ERROR`.
    public enum QAError: Error, CustomStringConvertible {
        case noTask
        case alreadyAnswered

        public var description: String {
            switch self {
            case .noTask: "no question yet: reset first"
            case .alreadyAnswered: "the question was answered and the episode is over: reset for the next one"
            }
        }
    }
}

extension QAEnvironment {
    /// The built-in `qa` environment (`openenv serve qa`): the bundled dataset (loaded
    /// once per process) and the judge the process environment configures, if any.
    public static func builtin() async throws -> QAEnvironment {
        QAEnvironment(taskset: try await bundled.value, judge: try configuredJudge.get())
    }

    private static let bundled = Task { try await bundledTaskset() }
    private static let configuredJudge = Result { try judgeFromEnvironment() }

    /// The dataset that ships with swift-openenv (20 questions: `train` 12, `test` 8),
    /// read from its Parquet copy; `jsonl` picks the JSON Lines source instead.
    public static func bundledTaskset(format: String = "parquet") async throws -> Taskset {
        guard let root = Bundle.module.url(forResource: "Dataset", withExtension: nil) else {
            throw TasksetError.notFound("the qa dataset is missing from the OpenEnvEnvironments resource bundle")
        }
        return try await Taskset.load(.directory(root.path + "/" + format))
    }

    /// The judge the process environment configures (`OPENENV_JUDGE_BASE_URL`,
    /// `OPENENV_JUDGE_MODEL`, … see ``ChatModelConfiguration/fromEnvironment(_:)``), or
    /// `nil` when `OPENENV_JUDGE_MODEL` is unset. It sees the question, the reference
    /// answer and the agent's answer, and answers 1 or 0.
    public static func judgeFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LLMJudge<Action, QATask>? {
        guard let model = environment["OPENENV_JUDGE_MODEL"], !model.isEmpty else { return nil }
        let client = try ChatCompletionsClient(try ChatModelConfiguration.fromEnvironment(environment))
        return try LLMJudge(client: client, template: judgePrompt) { action, task in
            ["question": task.question, "reference": task.answer, "answer": action.answer]
        }
    }

    static let judgePrompt = try! PromptTemplate("""
        You grade answers to questions.
        Question: {question}
        Reference answer: {reference}
        Candidate answer: {answer}
        Does the candidate answer mean the same as the reference answer? Reply with 1 for yes or 0 for no, and nothing else.
        """)
}

extension QAEnvironment {
    /// `qa` over the bundled dataset, as `openenv serve qa` serves it.
    public static let entry = EnvironmentEntry(name: "qa", kind: .typed, factory: EnvironmentFactory { try await QAEnvironment.builtin() })
}
