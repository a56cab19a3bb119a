import OpenEnvCore

/// One question of the qa dataset, as a row maps onto it.
public struct QATask: Codable, Sendable, Equatable {
    public var id: String
    public var question: String
    /// The reference answer.
    public var answer: String
    /// `numeric` (graded with a numeric tolerance) or `text` (exact match); default `text`.
    public var kind: String?
    /// Other accepted spellings of the answer.
    public var aliases: [String]?

    public init(id: String, question: String, answer: String, kind: String? = nil, aliases: [String]? = nil) {
        self.id = id
        self.question = question
        self.answer = answer
        self.kind = kind
        self.aliases = aliases
    }

    public var isNumeric: Bool { kind == "numeric" }
}

extension QAEnvironment {
    public struct Action: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var answer: String
        public init(answer: String) { self.answer = answer }
        public static var schemaTitle: String { "QAAction" }
        public static var schemaDescription: String? { "The agent's answer to the current question." }
        public static var propertyDescriptions: [String: String] { ["answer": "The answer, as text (numbers may include units or words)"] }
    }

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var question: String
        public var taskID: String
        public var split: String
        public var index: Int
        /// After the answer: whether it was accepted (`null` before).
        public var correct: Bool?
        /// After the answer: the reference answer (`null` before).
        public var expectedAnswer: String?
        public static var schemaTitle: String { "QAObservation" }
        public static var schemaDescription: String? { "The question to answer; after the answer, the verdict and the reference answer." }
        public static var propertyDescriptions: [String: String] {
            ["question": "The question", "task_id": "The task's id in the dataset", "split": "The dataset split of the task",
             "index": "The task's index in its split", "correct": "Whether the answer was accepted (after the answer)",
             "expected_answer": "The reference answer (after the answer)"]
        }
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var split: String?
        public var index: Int?
        public var taskID: String?
        public var answered: Bool
        public static var schemaTitle: String { "QAState" }
        public static var schemaDescription: String? { "The episode: which task it asks and whether it was answered." }
    }
}
