import Foundation
import OpenEnvClient
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvRollouts
import OpenEnvServer
import OpenEnvTestSupport
import Testing

@Suite struct RandomPolicyTests {
    let grid = EnvironmentDescription(actionSchema: JSONSchema.of(GridEnvironment.Action.self), tools: [])

    @Test func samplesOnlyValidActionsAndRepeatsForTheSameSeed() async throws {
        func run(_ seed: Int) async throws -> [JSONValue] {
            let policy = RandomPolicy(environment: grid, seed: 5)
            try await policy.beginEpisode("e", seed: seed)
            var actions: [JSONValue] = []
            for step in 0..<50 {
                actions.append(try await policy.act(PolicyInput(episodeID: "e", step: step, observation: [:], reward: nil, done: false))!)
            }
            return actions
        }
        let first = try await run(1)
        #expect(first == (try await run(1)))
        #expect(first != (try await run(2)))
        let moves = Set(first.compactMap { $0["action"]?.stringValue })
        #expect(moves == ["UP", "DOWN", "LEFT", "RIGHT"], "50 samples cover the four moves and nothing else")
    }

    @Test func callsRandomToolsWithArgumentsFromTheirSchemas() async throws {
        let tools = [ToolInfo(name: "count", description: "", inputSchema: ["type": "object", "properties": ["n": ["type": "integer", "minimum": 3, "maximum": 4]], "required": ["n"]])]
        let policy = RandomPolicy(environment: EnvironmentDescription(actionSchema: ["title": "CallToolAction"], tools: tools), seed: 1)
        for step in 0..<20 {
            let action = try #require(try await policy.act(PolicyInput(episodeID: "e", step: step, observation: [:], reward: nil, done: false)))
            #expect(action["tool_name"] == "count")
            #expect([3, 4].contains(action["arguments"]?["n"]?.intValue ?? -1))
        }
    }
}

@Suite struct CollectorTests {
    @Test func collectsEveryEpisodeOnceAndResumes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("collect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.jsonl").path
        let random: PolicyFactory = { environment, _ in RandomPolicy(environment: environment, seed: 9) }
        try await withInProcessServer(EnvironmentFactory { GridEnvironment() }) { port in
            let url = "http://127.0.0.1:\(port)"
            let first = try await Collector.run(
                CollectConfiguration(baseURL: url, episodes: 4, concurrency: 2, maxSteps: 25, seed: 100, output: output), policy: random)
            #expect(first.episodes == 4 && first.failed == 0 && first.skipped == 0)
            let second = try await Collector.run(
                CollectConfiguration(baseURL: url, episodes: 6, concurrency: 3, maxSteps: 25, seed: 100, output: output), policy: random)
            #expect(second.episodes == 2 && second.skipped == 4)
        }
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.compactMap { $0["episode_id"]?.stringValue }.sorted() == (0..<6).map(Collector.episodeID))
        for line in lines {
            let steps = try #require(line["steps"]?.arrayValue)
            #expect(line["length"]?.intValue == steps.count)
            #expect(steps.count <= 25)
            #expect(line["seed"]?.intValue == 100 + Int(line["episode_id"]!.stringValue!.suffix(6))!)
        }
    }
}
