import OpenEnvCore
import Synchronization

/// A small well-behaved task: walk a counter from a seeded start to 5. `{"move": "up" | "down"}`,
/// reward 1.0 and done at 5, else 0.0. Variants below each break one semantic property.
actor CounterEnvironment: Environment {
    struct Action: Codable, Sendable { var move: Move }
    enum Move: String, Codable, Sendable, CaseIterable { case up, down }
    struct Observation: Codable, Sendable { var position: Int }

    static let info = EnvironmentInfo(name: "CounterEnvironment", envName: "counter_env", description: "walk to 5", defaultMaxSessions: 8)
    private(set) var state = BasicState()
    private var position = 0

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        position = (seed ?? 0) % 4
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        return StepResult(Observation(position: position), reward: 0.0)
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        position = max(0, position + (action.move == .up ? 1 : -1))
        return StepResult(Observation(position: position), reward: position == 5 ? 1.0 : 0.0, done: position == 5)
    }
}

/// Pays the maximum reward for the empty action `{}` (its only field is optional): must
/// fail `semantic.floor_gap`.
actor FreeRewardEnvironment: Environment {
    struct Action: Codable, Sendable { var move: CounterEnvironment.Move? }
    typealias Observation = CounterEnvironment.Observation

    static let info = EnvironmentInfo(name: "FreeRewardEnvironment", envName: "free_reward_env", description: "pays for nothing", defaultMaxSessions: 8)
    private(set) var state = BasicState()
    private var position = 0

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        position = (seed ?? 0) % 4
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        return StepResult(Observation(position: position), reward: 0.0)
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        guard let move = action.move else { return StepResult(Observation(position: position), reward: 1.0) }
        position = max(0, position + (move == .up ? 1 : -1))
        return StepResult(Observation(position: position), reward: position == 5 ? 1.0 : 0.0, done: position == 5)
    }
}

/// Starts every episode at the same place whatever the seed: must fail
/// `semantic.seed_sensitivity`.
actor SeedIgnoringEnvironment: Environment {
    typealias Action = CounterEnvironment.Action
    typealias Observation = CounterEnvironment.Observation

    static let info = EnvironmentInfo(name: "SeedIgnoringEnvironment", envName: "seed_ignoring_env", description: "ignores the seed", defaultMaxSessions: 8)
    private(set) var state = BasicState()
    private var position = 0

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        position = 0
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        return StepResult(Observation(position: position), reward: 0.0)
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        position = max(0, position + (action.move == .up ? 1 : -1))
        return StepResult(Observation(position: position), reward: position == 5 ? 1.0 : 0.0, done: position == 5)
    }
}

/// Every instance reads and writes one shared "last move": an episode played alone is
/// repeatable, but another session's steps show up in it. Must fail
/// `semantic.episode_isolation`.
actor LeakyEnvironment: Environment {
    typealias Action = CounterEnvironment.Action
    struct Observation: Codable, Sendable { var position: Int; var lastMove: String }

    static let shared = Mutex<String>("none")
    static let info = EnvironmentInfo(name: "LeakyEnvironment", envName: "leaky_env", description: "shares state", defaultMaxSessions: 8)
    private(set) var state = BasicState()
    private var position = 0

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        position = (seed ?? 0) % 4
        Self.shared.withLock { $0 = "none" }
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        return StepResult(Observation(position: position, lastMove: "none"), reward: 0.0)
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        position = max(0, position + (action.move == .up ? 1 : -1))
        let last = Self.shared.withLock { last in
            defer { last = action.move.rawValue }
            return last
        }
        return StepResult(Observation(position: position, lastMove: last), reward: position == 5 ? 1.0 : 0.0, done: position == 5)
    }
}

/// Sends an observation key its schema does not have: must fail
/// `runtime.observation_schema`.
actor SchemaLyingEnvironment: Environment {
    typealias Action = CounterEnvironment.Action
    struct Observation: Codable, Sendable {
        var position: Int
        init(position: Int) { self.position = position }
        enum CodingKeys: String, CodingKey { case position, surprise }
        init(from decoder: any Decoder) throws {
            position = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .position)
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(position, forKey: .position)
            try container.encode("not in the schema", forKey: .surprise)
        }
    }

    static let info = EnvironmentInfo(name: "SchemaLyingEnvironment", envName: "schema_lying_env", description: "lies about its schema", defaultMaxSessions: 8)
    private(set) var state = BasicState()

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        state = BasicState(episodeID: episodeID ?? UUIDString.random())
        return StepResult(Observation(position: 0), reward: 0.0)
    }

    func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        return StepResult(Observation(position: state.stepCount), reward: 0.0, done: state.stepCount >= 3)
    }
}
