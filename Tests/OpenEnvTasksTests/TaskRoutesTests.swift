import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import OpenEnvTestSupport
import Synchronization
import Testing

@testable import OpenEnvTasks

/// Counts the instances the server made and closed for Task API calls.
let lifecycle = Mutex((made: 0, closed: 0))

/// A taskset environment that records its lifecycle and lists one split as an object.
actor Catalogue: Environment, TaskProviding {
    struct Action: Codable, Sendable { var pick: Int }
    static let info = EnvironmentInfo(name: "Catalogue", envName: "Catalogue_Env", description: "tasks only")
    private(set) var state = BasicState()
    let rows: [JSONValue] = (0..<3).map { ["n": .int($0)] }

    init() { lifecycle.withLock { $0.made += 1 } }

    func close() async { lifecycle.withLock { $0.closed += 1 } }
    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<EmptyObservation> { StepResult(EmptyObservation()) }
    func step(_ action: Action) async throws -> StepResult<EmptyObservation> { StepResult(EmptyObservation()) }

    func listSplits() async throws -> [JSONValue] { ["train", "dev", ["name": "hard", "type": "test", "extra": 1], 42] }
    func numTasks(split: String) async throws -> Int {
        guard split == "train" else { throw TasksetError.unknownSplit(split, available: ["train"]) }
        return rows.count
    }
    func task(split: String, index: Int) async throws -> JSONValue {
        guard let position = TaskIndex.resolve(index, count: try await numTasks(split: split)) else {
            throw TaskIndexError(split: split, index: index, count: rows.count)
        }
        return rows[position]
    }
}

@Suite(.serialized) struct TaskRoutesTests {
    @Test func theTaskAPIAnswersThroughFreshInstancesThatAreClosed() async throws {
        let before = lifecycle.withLock { $0 }
        try await withInProcessServer(EnvironmentFactory { Catalogue() }) { port in
            let base = "http://127.0.0.1:\(port)"
            #expect(try await request(.GET, base + "/list_environments").body == ["Catalogue_Env"])
            let splits = try await request(.GET, base + "/catalogue_env/splits")
            #expect(splits.status == 200)
            #expect(splits.body == [["name": "train", "type": "train"], ["name": "dev", "type": "validation"],
                                    ["name": "hard", "type": "test", "extra": 1], ["name": "42", "type": "validation"]])
            #expect(try await request(.POST, base + "/Catalogue_Env/num_tasks", json: #"{"split":"train"}"#).body == ["num_tasks": 3])
            #expect(try await request(.POST, base + "/Catalogue_Env/tasks", json: #"{"split":"train"}"#).body
                == ["tasks": [["n": 0], ["n": 1], ["n": 2]], "env_name": "Catalogue_Env"])
            #expect(try await request(.POST, base + "/Catalogue_Env/task", json: #"{"split":"train","index":-1}"#).body == ["task": ["n": 2]])
            #expect(try await request(.POST, base + "/Catalogue_Env/task", json: #"{"split":"train","index":"1"}"#).body == ["task": ["n": 1]])
            let outside = try await request(.POST, base + "/Catalogue_Env/task", json: #"{"split":"train","index":3}"#)
            #expect(outside.status == 400 && outside.body == ["detail": "Invalid task index"])
            #expect(try await request(.POST, base + "/Catalogue_Env/task_range", json: #"{"split":"train","start":1}"#).body == ["tasks": [["n": 1], ["n": 2]]])
            #expect(try await request(.POST, base + "/Catalogue_Env/task_range", json: #"{"split":"train","start":5,"stop":9}"#).body == ["tasks": []])
            #expect(try await request(.POST, base + "/Catalogue_Env/task_range", json: #"{"split":"train","start":null,"stop":-2}"#).body == ["tasks": [["n": 0]]])
            let unknownSplit = try await request(.POST, base + "/Catalogue_Env/num_tasks", json: #"{"split":"test"}"#)
            #expect(unknownSplit.status == 500 && unknownSplit.body == ["detail": "unknown split 'test' (available: train)"])
            let unknownEnv = try await request(.GET, base + "/other/splits")
            #expect(unknownEnv.status == 404 && unknownEnv.body == ["detail": "unknown environment 'other'"])
            let badBody = try await request(.POST, base + "/other/task", json: #"{"split":1,"index":0,"extra":true}"#)
            #expect(badBody.status == 422)
            #expect(badBody.body["detail"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == ["string_type", "extra_forbidden"])
        }
        let after = lifecycle.withLock { $0 }
        #expect(after.made - before.made == 10)
        #expect(after.closed - before.closed == 10)
    }

    @Test func environmentsWithoutTasksStillAnswer501() async throws {
        try await withInProcessServer(GridEnvironment.entry.factory) { port in
            let response = try await request(.POST, "http://127.0.0.1:\(port)/grid_env/task", json: #"{"split":"train","index":0}"#)
            #expect(response.status == 501 && response.body == ["detail": "get_task is not supported for this environment"])
        }
    }
}
