import OpenEnvCore
import Testing

@testable import OpenEnvRewards

/// A step to grade: an answer and what it is graded against.
struct Answer: Codable, Sendable {
    var text: String
}

struct Grading: Codable, Sendable {
    var expected: String
}

/// Counts evaluations, to see which rubrics a container skipped.
actor Counter {
    private(set) var counts: [String: Int] = [:]
    func hit(_ name: String) { counts[name, default: 0] += 1 }
    func count(_ name: String) -> Int { counts[name] ?? 0 }
}

func constant(_ value: Double, range: ClosedRange<Double> = 0...1, counter: Counter? = nil, name: String = "") -> RubricFunction<Answer, Grading> {
    RubricFunction(range: range) { _, _ in
        await counter?.hit(name)
        return value
    }
}

let step = (Answer(text: "Paris"), Grading(expected: "paris"))

@Suite struct RubricTreeTests {
    @Test func weightedSumAddsWeightedChildrenAndNamesEveryComponent() async throws {
        let inner = try WeightedSum<Answer, Grading>([.init("x", weight: 0.5, constant(1)), .init("y", weight: 0.5, constant(0))])
        let rubric = try WeightedSum<Answer, Grading>([
            .init("correct", weight: 0.75, constant(1)),
            .init("style", weight: 0.25, inner),
        ])
        #expect(rubric.range == 0...1)
        let score = try await rubric.evaluate(step.0, step.1)
        #expect(score.value == 0.875)
        #expect(score.components == [.init("correct", 1), .init("style", 0.5), .init("style.x", 1), .init("style.y", 0)])
        #expect(score["style.x"] == 1)
        #expect(score.metadata == ["score": 0.875, "components": ["correct": 1.0, "style": 0.5, "style.x": 1.0, "style.y": 0.0]])
    }

    @Test func weightedSumDerivesItsRangeFromWeightsAndChildren() throws {
        let rubric = try WeightedSum<Answer, Grading>([
            .init("a", weight: 2, constant(0, range: -1...1)),
            .init("b", weight: -1, constant(0, range: 0...3)),
        ])
        #expect(rubric.range == -5...2)
    }

    @Test func containersRefuseBadConfigurations() {
        #expect(throws: RubricError.invalidConfiguration("WeightedSum needs at least one rubric")) {
            try WeightedSum<Answer, Grading>([])
        }
        #expect(throws: RubricError.invalidConfiguration("WeightedSum: duplicate rubric name 'a'")) {
            try WeightedSum<Answer, Grading>([.init("a", weight: 0.5, constant(1)), .init("a", weight: 0.5, constant(1))])
        }
        #expect(throws: RubricError.invalidConfiguration("Sequential: rubric name 'a.b' must be non-empty and contain no '.'")) {
            try Sequential<Answer, Grading>([NamedRubric("a.b", constant(1))])
        }
        #expect(throws: RubricError.self) {
            try WeightedSum<Answer, Grading>([.init("a", weight: .nan, constant(1))])
        }
    }

    @Test func gateZeroesScoresBelowItsThresholdButKeepsTheRawComponent() async throws {
        let low = try Gate<Answer, Grading>("tests", threshold: 0.5, constant(0.4))
        let high = try Gate<Answer, Grading>("tests", threshold: 0.5, constant(0.6))
        let lowScore = try await low.evaluate(step.0, step.1)
        #expect(lowScore.value == 0)
        #expect(lowScore.components == [.init("tests", 0.4)])
        #expect(try await high.evaluate(step.0, step.1).value == 0.6)
    }

    @Test func sequentialStopsAtTheFirstFailingStage() async throws {
        let counter = Counter()
        let rubric = try Sequential<Answer, Grading>([
            NamedRubric("parses", constant(1, counter: counter, name: "parses")),
            NamedRubric("runs", constant(0, counter: counter, name: "runs")),
            NamedRubric("style", constant(1, counter: counter, name: "style")),
        ])
        let score = try await rubric.evaluate(step.0, step.1)
        #expect(score.value == 0)
        #expect(score.components == [.init("parses", 1), .init("runs", 0)])
        #expect(await counter.count("style") == 0)

        let passing = try Sequential<Answer, Grading>([NamedRubric("parses", constant(1)), NamedRubric("quality", constant(0.7))])
        #expect(try await passing.evaluate(step.0, step.1).value == 0.7)
    }

    @Test func maximumStopsOnceAnAlternativeGivesFullMarks() async throws {
        let counter = Counter()
        let rubric = try Maximum<Answer, Grading>([
            NamedRubric("exact", constant(0, counter: counter, name: "exact")),
            NamedRubric("numeric", constant(1, counter: counter, name: "numeric")),
            NamedRubric("judge", constant(0.5, counter: counter, name: "judge")),
        ])
        let score = try await rubric.evaluate(step.0, step.1)
        #expect(score.value == 1)
        #expect(score.components.map(\.path) == ["exact", "numeric"])
        #expect(await counter.count("judge") == 0)
        let none = try Maximum<Answer, Grading>([NamedRubric("a", constant(0.2)), NamedRubric("b", constant(0.4))])
        #expect(try await none.evaluate(step.0, step.1).value == 0.4)
    }

    @Test func nonFiniteAndOutOfRangeScoresAreErrorsNamingTheirPath() async throws {
        await #expect(throws: RubricError.nonFinite(.infinity)) {
            try await constant(.infinity).evaluate(step.0, step.1)
        }
        await #expect(throws: RubricError.outOfRange(1.5, 0...1)) {
            try await constant(1.5).evaluate(step.0, step.1)
        }
        let tree = try WeightedSum<Answer, Grading>([
            .init("ok", weight: 0.5, constant(1)),
            .init("style", weight: 0.5, try Gate("inner", threshold: 0, constant(.nan))),
        ])
        await #expect {
            try await tree.evaluate(step.0, step.1)
        } throws: { error in
            guard let failure = error as? RubricFailure, let cause = failure.underlying as? RubricError else { return false }
            guard case .nonFinite(let value) = cause else { return false }
            return failure.path == "style.inner" && value.isNaN && "\(failure)".hasPrefix("rubric 'style.inner' failed: non-finite score")
        }
    }

    @Test func scoreGoesIntoStepResultsRewardAndMetadata() throws {
        let score = RubricScore(0.5, components: [.init("a", 0.5)], notes: ["judge fell back"])
        let result = StepResult(EmptyObservation(), score: score, done: true, metadata: ["task": 3])
        #expect(result.reward == .double(0.5))
        #expect(result.done)
        #expect(result.metadata == ["task": 3, "rubric": ["score": 0.5, "components": ["a": 0.5], "notes": ["judge fell back"]]])
    }
}

@Suite struct AnswerMatchingTests {
    let exact = ExactMatch<Answer, Grading>(answer: \.text, expected: { [$0.expected, "City of Light"] })
    let numeric = NumericMatch<Answer, Grading>(absoluteTolerance: 0.01, answer: \.text, expected: \.expected)

    @Test func exactMatchNormalizesCaseSpacesAndTrailingPunctuation() async throws {
        for (text, value) in [("Paris", 1.0), ("  paris. ", 1), ("\"PARIS\"", 1), ("'\"Paris.\"'!", 1), ("city  of\nlight", 1), ("Lyon", 0), ("Pari", 0)] {
            #expect(try await exact.evaluate(Answer(text: text), Grading(expected: "paris")).value == value, "\(text)")
        }
        let strict = ExactMatch<Answer, Grading>(normalization: [], answer: \.text, expected: { [$0.expected] })
        #expect(try await strict.evaluate(Answer(text: "Paris"), Grading(expected: "paris")).value == 0)
    }

    @Test func numericMatchReadsTheLastNumberWithinTolerance() async throws {
        let cases: [(String, String, Double)] = [
            ("The answer is 42.", "42", 1), ("1,250 apples", "1250", 1), ("-3.5", "-3.5", 1), ("3.504", "3.5", 1),
            ("first 7 then 9", "9", 1), ("first 7 then 9", "7", 0), ("no idea", "4", 0), ("$12", "12", 1),
        ]
        for (text, expected, value) in cases {
            #expect(try await numeric.evaluate(Answer(text: text), Grading(expected: expected)).value == value, "\(text) vs \(expected)")
        }
        let relative = NumericMatch<Answer, Grading>(absoluteTolerance: 0, relativeTolerance: 0.01, answer: \.text, expected: \.expected)
        #expect(try await relative.evaluate(Answer(text: "1005"), Grading(expected: "1000")).value == 1)
        #expect(try await relative.evaluate(Answer(text: "1011"), Grading(expected: "1000")).value == 0)
    }

    @Test func aReferenceThatIsNotANumberIsAnError() async {
        await #expect(throws: NumericMatch<Answer, Grading>.ReferenceError.self) {
            try await numeric.evaluate(Answer(text: "4"), Grading(expected: "four"))
        }
    }
}

@Suite struct TrajectoryTests {
    struct Move: Sendable { var n: Int }

    @Test func intermediateRewardsUntilTheEndThenCreditedFinalScore() async throws {
        let rubric = TrajectoryFunction<Move, Int>(credit: .discounted(gamma: 0.5), intermediateReward: 0.1) { trajectory in
            trajectory.steps.last!.observation == 3 ? 1 : 0
        }
        var trajectory = Trajectory<Move, Int>()
        trajectory.append(Move(n: 1), 1, done: false)
        #expect(try await rubric.evaluate(trajectory) == .intermediate(0.1))
        trajectory.append(Move(n: 2), 2, done: false)
        trajectory.append(Move(n: 3), 3, done: true)
        let reward = try await rubric.evaluate(trajectory)
        #expect(reward == .final(RubricScore(1), stepRewards: [0.25, 0.5, 1]))
        #expect(reward.value == 1)
        #expect(reward.metadata == ["score": 1.0, "components": [:], "step_rewards": [0.25, 0.5, 1.0]])
        trajectory.removeAll()
        #expect(trajectory.count == 0 && !trajectory.isComplete)
    }

    @Test func creditAssignmentSchemes() throws {
        #expect(CreditAssignment.finalStep.stepRewards(final: 2, steps: 3) == [0, 0, 2])
        #expect(CreditAssignment.uniform.stepRewards(final: 2, steps: 3) == [2, 2, 2])
        #expect(CreditAssignment.discounted(gamma: 1).stepRewards(final: 2, steps: 2) == [2, 2])
        #expect(CreditAssignment.discounted(gamma: 0).stepRewards(final: 2, steps: 3) == [0, 0, 2])
        #expect(CreditAssignment.uniform.stepRewards(final: 1, steps: 0) == [])
    }

    @Test func episodeScoresAreChecked() async throws {
        var trajectory = Trajectory<Move, Int>()
        trajectory.append(Move(n: 1), 1, done: true)
        await #expect(throws: RubricError.outOfRange(2, 0...1)) {
            try await TrajectoryFunction<Move, Int> { _ in 2 }.evaluate(trajectory)
        }
        await #expect(throws: RubricError.invalidConfiguration("discount factor 1.5 is outside 0...1")) {
            try await TrajectoryFunction<Move, Int>(credit: .discounted(gamma: 1.5)) { _ in 1 }.evaluate(trajectory)
        }
    }
}
