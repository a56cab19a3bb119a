import OpenEnvClient
import OpenEnvEnvironments
import OpenEnvServer
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct SessionPoolTests {
    typealias GridPool = SessionPool<GridEnvironment.Action, GridEnvironment.Observation, GridEnvironment.State>
    let grid = EnvironmentFactory { GridEnvironment() }

    @Test func sessionsAreIndependentAndRunTogether() async throws {
        try await withSwiftServer(grid) { server in
            let pool = try await GridPool.connect(to: [server.address], sessionsPerServer: 4, configuration: testConfiguration())
            #expect(pool.count == 4)
            let starts = await pool.reset(seeds: [0, 1, 2, 3], episodeIDs: ["a", "b", "c", "d"])
            let observations = try starts.map { try $0.get().observation }
            var results = starts.map { try! $0.get() }
            var steps = 0
            while results.contains(where: { !$0.done }) {
                let running = Dictionary(uniqueKeysWithValues: results.indices.filter { !results[$0].done }.map { ($0, greedyMove(results[$0].observation)) })
                for (index, outcome) in await pool.step(running) { results[index] = try outcome.get() }
                steps += 1
                guard steps <= 10 else { throw TestFailure("the pool did not finish its episodes") }
            }
            let states = try await pool.states().map { try $0.get() }
            #expect(states.map(\.episodeID) == ["a", "b", "c", "d"])
            #expect(states.map(\.seed) == [0, 1, 2, 3])
            #expect(states.allSatisfy { $0.reachedGoal })
            // Each session walked its own layout: step counts are the Manhattan distances.
            #expect(states.map(\.stepCount) == observations.map { abs($0.goalRow - $0.row) + abs($0.goalCol - $0.col) })
            await pool.close()
        }
    }

    @Test func oneFailingSessionDoesNotFailTheBatch() async throws {
        try await withSwiftServer(grid, configuration: ServerConfiguration(maxSessions: 3)) { server in
            // Four sockets open fine; the server refuses the fourth session on its first call.
            let pool = try await GridPool.connect(to: [server.address], sessionsPerServer: 4, configuration: testConfiguration())
            let starts = await pool.reset()
            let refused = starts.indices.filter { index in
                if case .failure(OpenEnvError.server(let error)) = starts[index], error.code == .capacityReached { return true }
                return false
            }
            #expect(refused.count == 1)
            #expect(starts.filter { (try? $0.get()) != nil }.count == 3)
            // The batch goes on: the healthy sessions step, the refused one reports its lost session.
            let steps = await pool.step(Array(repeating: GridEnvironment.Action(.down), count: 4))
            for index in steps.indices {
                if refused.contains(index) {
                    guard case .failure(OpenEnvError.sessionLost) = steps[index] else { throw TestFailure("session \(index): \(steps[index])") }
                } else {
                    #expect(try steps[index].get().observation.row == 1)
                }
            }
            await pool.close()

            // An invalid action is the error of its own session only.
            let generic = try await SessionPool<JSONValue, JSONObject, JSONObject>.connect(to: [server.address], sessionsPerServer: 2, configuration: testConfiguration())
            _ = await generic.reset()
            let mixed = await generic.step([["action": "UP"], ["action": "UPWARDS"]])
            #expect((try? mixed[0].get()) != nil)
            guard case .failure(OpenEnvError.server(let error)) = mixed[1], error.code == .validationError else { throw TestFailure("expected VALIDATION_ERROR: \(mixed[1])") }
            await generic.close()
        }
    }

    @Test func aPoolSpansTheSwiftAndThePythonServer() async throws {
        let python = try await ExternalServers.python("grid").start()
        do {
            try await withSwiftServer(grid) { swift in
                let pool = try await GridPool.connect(to: [swift.address, python.address], sessionsPerServer: 2, configuration: testConfiguration())
                #expect(pool.clients.map(\.address) == [swift.address, python.address, swift.address, python.address])
                let starts = try await pool.reset(seeds: [5, 5, 9, 9]).map { try $0.get() }
                // Same seed, same layout on both servers.
                #expect(starts[0].observation == starts[1].observation)
                #expect(starts[2].observation == starts[3].observation)
                let moved = try await pool.step(starts.map { greedyMove($0.observation) }).map { try $0.get() }
                #expect(moved[0].observation == moved[1].observation && moved[0].reward == moved[1].reward)
                // A session that fails (here: closed under the pool) fails alone.
                await pool.clients[1].close()
                let next = await pool.step(moved.map { greedyMove($0.observation) })
                guard case .failure(OpenEnvError.closed) = next[1] else { throw TestFailure("expected the closed session to fail alone: \(next[1])") }
                #expect(next.indices.filter { $0 != 1 }.allSatisfy { (try? next[$0].get()) != nil })
                await pool.close()
            }
        } catch {
            await python.stop()
            throw error
        }
        await python.stop()
    }
}
