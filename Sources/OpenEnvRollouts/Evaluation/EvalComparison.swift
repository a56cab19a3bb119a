import OpenEnvCore

/// Two evaluations of the same tasks side by side (`openenv eval compare A B`): each
/// metric's values and delta (B − A), and the tasks that flipped.
///
/// A task counts as solved when at least one of its samples passed. Files that evaluate
/// different splits or different task sets (or the same indices with different task ids)
/// are refused with ``EvalError/mismatch(_:)``; a different environment name, K or
/// policy is allowed (that is usually the point) and noted.
public struct EvalComparison: Sendable, Equatable {
    /// One metric in both files.
    public struct Metric: Sendable, Equatable {
        public var name: String
        public var a: Double
        public var b: Double
        public var delta: Double { b - a }
    }

    /// A task whose result differs between the files.
    public struct TaskChange: Sendable, Equatable {
        public var index: Int
        public var taskID: String?
        /// Passes and samples in A and in B.
        public var a: (c: Int, n: Int)
        public var b: (c: Int, n: Int)

        public static func == (l: TaskChange, r: TaskChange) -> Bool {
            l.index == r.index && l.taskID == r.taskID && l.a == r.a && l.b == r.b
        }

        var json: JSONValue {
            ["index": .int(index), "task_id": taskID.map(JSONValue.string) ?? nil,
             "a": ["c": .int(a.c), "n": .int(a.n)], "b": ["c": .int(b.c), "n": .int(b.n)]]
        }
    }

    /// `mean_reward`, `pass_rate`, `pass@k` for the k both files report, `errors`.
    public var metrics: [Metric]
    /// Failed in A (no sample passed), solved in B.
    public var gained: [TaskChange]
    /// Solved in A, failed in B.
    public var lost: [TaskChange]
    /// Every task whose pass fraction c/n differs (the flips included).
    public var changed: [TaskChange]
    /// Differences that do not prevent the comparison (environment name, K, policy).
    public var notes: [String]

    /// Compares `b` with the baseline `a`; throws ``EvalError/mismatch(_:)`` when they do not evaluate the same tasks.
    public init(_ a: EvalResults, _ b: EvalResults) throws {
        guard a.split == b.split else {
            throw EvalError.mismatch("A evaluates split '\(a.split ?? "?")', B split '\(b.split ?? "?")'")
        }
        let aIndices = a.tasks.map(\.index), bIndices = b.tasks.map(\.index)
        guard Set(aIndices) == Set(bIndices), aIndices.count == bIndices.count else {
            let onlyA = Set(aIndices).subtracting(bIndices).sorted(), onlyB = Set(bIndices).subtracting(aIndices).sorted()
            throw EvalError.mismatch(
                "A has \(aIndices.count) tasks, B \(bIndices.count)"
                    + (onlyA.isEmpty ? "" : "; only in A: \(Self.list(onlyA))") + (onlyB.isEmpty ? "" : "; only in B: \(Self.list(onlyB))"))
        }
        let bByIndex = Dictionary(b.tasks.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        var notes: [String] = []
        if a.environmentName != b.environmentName {
            notes.append("environment names differ: A '\(a.environmentName ?? "?")', B '\(b.environmentName ?? "?")'")
        }
        if a.summary.samplesPerTask != b.summary.samplesPerTask {
            notes.append("samples per task differ: A k=\(a.summary.samplesPerTask), B k=\(b.summary.samplesPerTask)")
        }
        for key in ["policy", "command"] where a.configuration[key] != b.configuration[key] {
            notes.append("\(key): A \(JSONWriter().string(a.configuration[key] ?? nil)), B \(JSONWriter().string(b.configuration[key] ?? nil))")
        }
        var gained: [TaskChange] = [], lost: [TaskChange] = [], changed: [TaskChange] = []
        for taskA in a.tasks.sorted(by: { $0.index < $1.index }) {
            let taskB = bByIndex[taskA.index]!
            if let idA = taskA.taskID, let idB = taskB.taskID, idA != idB {
                throw EvalError.mismatch("task \(taskA.index) is '\(idA)' in A but '\(idB)' in B (different datasets?)")
            }
            let change = TaskChange(index: taskA.index, taskID: taskA.taskID ?? taskB.taskID, a: (taskA.c, taskA.n), b: (taskB.c, taskB.n))
            if taskA.solved && !taskB.solved { lost.append(change) }
            if !taskA.solved && taskB.solved { gained.append(change) }
            if taskA.c * taskB.n != taskB.c * taskA.n { changed.append(change) }
        }
        var metrics = [
            Metric(name: "mean_reward", a: a.summary.meanReward, b: b.summary.meanReward),
            Metric(name: "pass_rate", a: a.summary.passRate, b: b.summary.passRate),
        ]
        for k in Set(a.summary.passAtK.keys).intersection(b.summary.passAtK.keys).sorted() {
            metrics.append(Metric(name: "pass@\(k)", a: a.summary.passAtK[k]!, b: b.summary.passAtK[k]!))
        }
        metrics.append(Metric(name: "errors", a: Double(a.summary.errors), b: Double(b.summary.errors)))
        self.metrics = metrics
        self.gained = gained
        self.lost = lost
        self.changed = changed
        self.notes = notes
    }

    /// `{"metrics": {name: {"a", "b", "delta"}}, "gained", "lost", "changed", "notes"}`.
    public var json: JSONValue {
        var deltas = JSONObject()
        for metric in metrics {
            deltas[metric.name] = ["a": .double(metric.a), "b": .double(metric.b), "delta": .double(metric.delta)]
        }
        return [
            "metrics": .object(deltas), "gained": .array(gained.map(\.json)), "lost": .array(lost.map(\.json)),
            "changed": .array(changed.map(\.json)), "notes": .array(notes.map(JSONValue.string)),
        ]
    }

    private static func list(_ indices: [Int]) -> String {
        indices.count <= 10 ? indices.map(String.init).joined(separator: ", ") : indices.prefix(10).map(String.init).joined(separator: ", ") + ", …"
    }
}
