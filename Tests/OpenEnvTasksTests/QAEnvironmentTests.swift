import Foundation
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvQA
import OpenEnvRewards
import OpenEnvServer
import OpenEnvTestSupport
import Testing

@testable import OpenEnvTasks

@Suite struct QAEnvironmentTests {
    @Test func theParquetCopyHoldsExactlyTheJSONLines() async throws {
        let parquet = try await QAEnvironment.bundledTaskset()
        let jsonl = try await QAEnvironment.bundledTaskset(format: "jsonl")
        #expect(parquet.splitNames == ["train", "test"])
        #expect(parquet.splits.map(\.count) == [12, 8])
        #expect(parquet == jsonl, "rerun scripts/qa-parquet after editing the JSON Lines")
    }

    @Test func anEpisodeAsksOneQuestionAndGradesTheAnswer() async throws {
        let env = QAEnvironment(taskset: try await QAEnvironment.bundledTaskset())
        let reset = try await env.reset(seed: nil, episodeID: "ep", options: ["split": "test", "index": 2])
        #expect(reset.observation.question == "A rectangle is 7 m long and 4 m wide. What is its area in square metres?")
        #expect(reset.observation.taskID == "test-002" && reset.observation.correct == nil && reset.reward == nil)
        let state = await env.state
        #expect(state.episodeID == "ep" && state.stepCount == 0 && state.split == "test" && state.index == 2)
        #expect(state.taskID == "test-002" && !state.answered)
        let step = try await env.step(.init(answer: "The area is 28 square metres."))
        #expect(step.reward == .double(1) && step.done)
        #expect(step.observation.correct == true && step.observation.expectedAnswer == "28")
        #expect(step.metadata["rubric"] == ["score": 1.0, "components": ["exact": 0.0, "numeric": 1.0]])
        await #expect(throws: QAEnvironment.QAError.alreadyAnswered) { try await env.step(.init(answer: "28")) }

        _ = try await env.reset(seed: nil, episodeID: nil, options: ["split": "test", "index": -1])
        let wrong = try await env.step(.init(answer: "Asia"))
        #expect(wrong.reward == .double(0) && wrong.observation.correct == false && wrong.observation.expectedAnswer == "Africa")
        #expect(wrong.metadata["rubric"] == ["score": 0.0, "components": ["exact": 0.0]])

        _ = try await env.reset(seed: nil, episodeID: nil, options: ["split": "train", "index": 10])
        #expect(try await env.step(.init(answer: "the pacific.")).reward == .double(1))
    }

    @Test func seedsPickReproducibleTasksAndBadSelectionsAreErrors() async throws {
        let env = QAEnvironment(taskset: try await QAEnvironment.bundledTaskset())
        let a = try await env.reset(seed: 7, episodeID: nil, options: [:]).observation
        let b = try await env.reset(seed: 7, episodeID: nil, options: [:]).observation
        #expect(a == b && a.split == "train" && a.index == SeededShuffle.permutation(count: 12, seed: 7)[0])
        await #expect(throws: TaskIndexError(split: "test", index: 8, count: 8)) {
            try await env.reset(seed: nil, episodeID: nil, options: ["split": "test", "index": 8])
        }
        await #expect(throws: TasksetError.unknownSplit("dev", available: ["train", "test"])) {
            try await env.reset(seed: nil, episodeID: nil, options: ["split": "dev"])
        }
        await #expect(throws: QAEnvironment.QAError.noTask) { try await QAEnvironment(taskset: try await QAEnvironment.bundledTaskset()).step(.init(answer: "1")) }
    }

    @Test func aConfiguredJudgeGradesWhatTheMatchesReject() async throws {
        let log = RequestList()
        let judgeServer: @Sendable (LoopbackRequest) async -> LoopbackResponse = { request in
            await log.add(request)
            let prompt = request.json?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            let verdict = prompt.contains("Candidate answer: the Bard") ? "1" : "0"
            return .json(["choices": [["index": 0, "message": ["role": "assistant", "content": .string(verdict)]]]])
        }
        try await withLoopbackHTTPServer(judgeServer) { server in
            let judge = try #require(try QAEnvironment.judgeFromEnvironment([
                "OPENENV_JUDGE_BASE_URL": server.baseURL + "/v1", "OPENENV_JUDGE_MODEL": "grader", "OPENENV_JUDGE_API_KEY": "k",
            ]))
            let env = QAEnvironment(taskset: try await QAEnvironment.bundledTaskset(), judge: judge)
            _ = try await env.reset(seed: nil, episodeID: nil, options: ["split": "test", "index": 1])
            let step = try await env.step(.init(answer: "the Bard"))
            #expect(step.reward == .double(1))
            #expect(step.metadata["rubric"] == ["score": 1.0, "components": ["exact": 0.0, "judge": 1.0]])
            _ = try await env.reset(seed: nil, episodeID: nil, options: ["split": "test", "index": 1])
            #expect(try await env.step(.init(answer: "shakespeare")).metadata["rubric"]?["components"] == ["exact": 1.0])
            let requests = await log.requests
            #expect(requests.count == 1)
            #expect(requests.first?.json?["model"] == "grader")
        }
        #expect(try QAEnvironment.judgeFromEnvironment([:]) == nil)
    }

    @Test func theBuiltinServesTheTaskAPIAndResetsByTaskIndex() async throws {
        let entry = QAEnvironment.entry
        #expect(entry.kind == .typed && entry.factory.providesTasks && entry.factory.info.rewardRange == 0...1)
        try await withInProcessServer(entry.factory) { port in
            let base = "http://127.0.0.1:\(port)"
            #expect(try await request(.GET, base + "/qa_env/splits").body == [["name": "train", "type": "train"], ["name": "test", "type": "test"]])
            #expect(try await request(.POST, base + "/qa_env/num_tasks", json: #"{"split":"test"}"#).body == ["num_tasks": 8])
            let task = try await request(.POST, base + "/qa_env/task", json: #"{"split":"test","index":3}"#).body
            #expect(task == ["task": ["id": "test-003", "question": "What is the square root of 144?", "answer": "12", "kind": "numeric", "aliases": ["twelve"]]])
            let reset = try await request(.POST, base + "/reset", json: #"{"split":"test","index":3}"#).body
            #expect(reset["observation"]?["question"] == "What is the square root of 144?")
            #expect(reset["observation"]?["task_id"] == "test-003")
            let schema = try await request(.GET, base + "/schema").body
            #expect(schema["action"]?["properties"]?["answer"] != nil)
        }
    }
}
