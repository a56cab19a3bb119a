import OpenEnvCore
import Testing

@testable import OpenEnvTasks

struct Problem: Codable, Sendable, Equatable {
    var prompt: String
    var answer: String
    var difficulty: Int?
}

let five = TaskSplit(name: "test", rows: (0..<5).map { ["q": .string("q\($0)"), "a": .string("\($0)"), "meta": ["level": .int($0 % 3)]] })

@Suite struct SelectionTests {
    @Test func indicesFollowPython() throws {
        #expect(try five.row(at: 0)["q"] == "q0")
        #expect(try five.row(at: -1)["q"] == "q4")
        #expect(try five.row(at: -5)["q"] == "q0")
        #expect(throws: TaskIndexError(split: "test", index: 5, count: 5)) { try five.row(at: 5) }
        #expect(throws: TaskIndexError(split: "test", index: -6, count: 5)) { try five.row(at: -6) }
        #expect("\(TaskIndexError(split: "test", index: 5, count: 5))" == "task index 5 is out of range for split 'test' (5 tasks; valid: -5..<5)")
    }

    @Test func slicesFollowPython() {
        func names(_ start: Int?, _ stop: Int?) -> [String] { five.rows(start: start, stop: stop).map { $0["q"]?.stringValue ?? "" } }
        #expect(names(nil, nil) == ["q0", "q1", "q2", "q3", "q4"])
        #expect(names(1, 3) == ["q1", "q2"])
        #expect(names(-2, nil) == ["q3", "q4"])
        #expect(names(nil, -3) == ["q0", "q1"])
        #expect(names(5, 9) == [] && names(3, 1) == [] && names(-99, 1) == ["q0"])
        #expect(TaskIndex.slice(start: 2, stop: 100, count: 3) == 2..<3)
    }

    @Test func seededShufflesAreFixedForever() throws {
        // Pinned (and checked against an independent Python implementation of SplitMix64 and
        // the same shuffle): a seed must give the same order on every platform and version.
        #expect(SeededShuffle.permutation(count: 10, seed: 42) == [8, 3, 6, 5, 4, 0, 9, 2, 1, 7])
        #expect(SeededShuffle.permutation(count: 10, seed: -7) == SeededShuffle.permutation(count: 10, seed: -7))
        #expect(SeededShuffle.permutation(count: 10, seed: 1) != SeededShuffle.permutation(count: 10, seed: 2))
        #expect(Set(SeededShuffle.permutation(count: 1000, seed: 3)) == Set(0..<1000))
        #expect(SeededShuffle.permutation(count: 0, seed: 3) == [] && SeededShuffle.permutation(count: 1, seed: 3) == [0])
        let order = SeededShuffle.permutation(count: 5, seed: 9)
        #expect(try (0..<7).map { try five.position(of: .seeded(seed: 9, episode: $0)) } == order + order.prefix(2))
        #expect(try five.position(of: .index(-2)) == 3)
    }

    @Test func fieldMappingRenamesReachesIntoObjectsAndFillsDefaults() throws {
        let row: JSONObject = ["question": "2+2?", "solution": "4", "meta": ["difficulty": 3], "noise": true]
        let mapping = FieldMapping(["prompt": "question", "answer": "solution", "difficulty": "meta.difficulty"])
        #expect(mapping.apply(row) == ["prompt": "2+2?", "answer": "4", "difficulty": 3])
        #expect(try mapping.decode(Problem.self, from: row, split: "train", index: 0) == Problem(prompt: "2+2?", answer: "4", difficulty: 3))
        let keep = FieldMapping(["prompt": "question"], defaults: ["answer": "?"], keepUnmapped: true)
        #expect(keep.apply(row) == ["solution": "4", "meta": ["difficulty": 3], "noise": true, "prompt": "2+2?", "answer": "?"])
        #expect(throws: TasksetError.self) { try FieldMapping(["prompt": "missing"]).decode(Problem.self, from: row, split: "train", index: 7) }
        do {
            _ = try FieldMapping(["prompt": "question"]).decode(Problem.self, from: row, split: "train", index: 7)
            Issue.record("decoded without an answer")
        } catch {
            #expect("\(error)".hasPrefix("task 7 of split 'train': "))
            #expect("\(error)".contains("answer"))
        }
    }

    @Test func pickersReadSplitIndexAndSeedFromResetOptions() throws {
        let taskset = Taskset(splits: [TaskSplit(name: "train", rows: [["prompt": "a", "answer": "1"]]),
                                       TaskSplit(name: "test", rows: (0..<4).map { ["prompt": .string("t\($0)"), "answer": .string("\($0)")] })])
        let picker = TaskPicker<Problem>(taskset: taskset, defaultSplit: "train")
        #expect(try picker.pick(seed: nil, options: [:]).task.prompt == "a")
        let pick = try picker.pick(seed: nil, options: ["split": "test", "index": -1])
        #expect(pick.split == "test" && pick.index == 3 && pick.task == Problem(prompt: "t3", answer: "3") && pick.row["prompt"] == "t3")
        #expect(try picker.pick(seed: nil, options: ["split": "test", "index": "2"]).index == 2)
        let seeded = try picker.pick(seed: 5, options: ["split": "test"]).index
        #expect(seeded == SeededShuffle.permutation(count: 4, seed: 5)[0])
        #expect(try picker.pick(seed: 5, options: ["split": "test", "episode": 1]).index == SeededShuffle.permutation(count: 4, seed: 5)[1])
        #expect(try picker.pick(seed: 5, options: ["split": "test", "index": 0]).index == 0)
        #expect(throws: TaskIndexError(split: "test", index: 4, count: 4)) { try picker.pick(seed: nil, options: ["split": "test", "index": 4]) }
        #expect(throws: TasksetError.unknownSplit("dev", available: ["train", "test"])) { try picker.pick(seed: nil, options: ["split": "dev"]) }
        #expect(throws: ValidationFailure.self) { try picker.pick(seed: nil, options: ["index": true]) }
        #expect(throws: ValidationFailure.self) { try picker.pick(seed: nil, options: ["split": 3]) }
    }
}
