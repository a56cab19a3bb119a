import OpenEnvCore
import Synchronization

/// A 5x5 grid world without MCP: walk the agent to the goal.
///
/// Plays exactly like the Python reference's `grid` environment: without a seed the agent
/// starts at (0,0) and the goal is (4,4); `seed: N` draws both cells as CPython's
/// `random.Random(N).sample(range(25), 2)` does. A move into the border is a no-op with
/// `hit_wall`; reaching the goal pays 1.0 and ends the episode; later steps pay 0.0.
///
/// A ``SynchronousEnvironment``: its calls never suspend, so the server runs them inline
/// instead of entering and leaving an actor for each.
public final class GridEnvironment: SynchronousEnvironment {
    public static let size = 5

    public enum Move: String, Codable, Sendable, CaseIterable {
        case up = "UP", down = "DOWN", left = "LEFT", right = "RIGHT"

        var delta: (row: Int, col: Int) {
            switch self {
            case .up: (-1, 0)
            case .down: (1, 0)
            case .left: (0, -1)
            case .right: (0, 1)
            }
        }
    }

    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        public var action: Move
        public init(_ action: Move) { self.action = action }
        public static var schemaTitle: String { "GridAction" }
        public static var schemaDescription: String? { "Move the agent one cell." }
        public static var propertyDescriptions: [String: String] {
            ["action": "Direction to move the agent by one cell (UP decreases row, LEFT decreases col)"]
        }
    }

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var row: Int
        public var col: Int
        public var goalRow: Int
        public var goalCol: Int
        public var size: Int
        public var hitWall: Bool
        public static var schemaTitle: String { "GridObservation" }
        public static var schemaDescription: String? { "Where the agent and the goal are after the last reset or step." }
        public static var propertyDescriptions: [String: String] {
            ["row": "Agent row, 0 at the top", "col": "Agent column, 0 at the left", "goal_row": "Goal row",
             "goal_col": "Goal column", "size": "The grid is size x size cells",
             "hit_wall": "The last move ran into the border and did not move the agent"]
        }
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var row: Int
        public var col: Int
        public var goalRow: Int
        public var goalCol: Int
        public var size: Int
        public var seed: Int?
        public var reachedGoal: Bool
        public static var schemaTitle: String { "GridState" }
        public static var schemaDescription: String? { "Episode state of the grid world, including the layout and its seed." }
    }

    public static let info = EnvironmentInfo(
        name: "GridEnvironment", envName: "grid_env",
        description: "5x5 grid world: move UP/DOWN/LEFT/RIGHT to reach the goal (reward 1.0, done).",
        defaultMaxSessions: 1024)
    /// Calls never block and return in microseconds: the event loop's fast path.
    public static let execution = ExecutionPolicy.eventLoop

    private let current: Mutex<State>

    public var stateNow: State { current.withLock { $0 } }

    public init() { current = Mutex(Self.layout(seed: nil, episodeID: nil)) }

    static func layout(seed: Int?, episodeID: String?) -> State {
        var agent = (0, 0)
        var goal = (size - 1, size - 1)
        if let seed {
            var random = PythonRandom(seed: seed)
            let cells = random.sample(rangeCount: size * size, 2)
            agent = (cells[0] / size, cells[0] % size)
            goal = (cells[1] / size, cells[1] % size)
        }
        return State(
            episodeID: episodeID ?? UUIDString.random(), stepCount: 0, row: agent.0, col: agent.1,
            goalRow: goal.0, goalCol: goal.1, size: size, seed: seed, reachedGoal: false)
    }

    private static func observe(_ state: State, reward: Reward?, hitWall: Bool = false) -> StepResult<Observation> {
        StepResult(
            Observation(row: state.row, col: state.col, goalRow: state.goalRow, goalCol: state.goalCol, size: state.size, hitWall: hitWall),
            reward: reward, done: state.reachedGoal)
    }

    public func resetNow(seed: Int?, episodeID: String?, options: JSONObject) -> StepResult<Observation> {
        let state = Self.layout(seed: seed, episodeID: episodeID)
        current.withLock { $0 = state }
        return Self.observe(state, reward: nil)
    }

    public func stepNow(_ action: Action) -> StepResult<Observation> {
        current.withLock { state in
            state.stepCount += 1
            guard !state.reachedGoal else { return Self.observe(state, reward: 0.0) }
            let (dr, dc) = action.action.delta
            let row = state.row + dr
            let col = state.col + dc
            guard (0..<state.size).contains(row), (0..<state.size).contains(col) else {
                return Self.observe(state, reward: 0.0, hitWall: true)
            }
            state.row = row
            state.col = col
            if row == state.goalRow && col == state.goalCol {
                state.reachedGoal = true
                return Self.observe(state, reward: 1.0)
            }
            return Self.observe(state, reward: 0.0)
        }
    }
}

extension GridEnvironment {
    /// `grid`, as `openenv serve grid` serves it.
    public static let entry = EnvironmentEntry(name: "grid", kind: .typed, factory: EnvironmentFactory { GridEnvironment() })
}

extension GridEnvironment.Observation: JSONMembersWritable {
    private enum Key {
        static let row = JSONKey("row"), col = JSONKey("col"), goalRow = JSONKey("goal_row"), goalCol = JSONKey("goal_col")
        static let size = JSONKey("size"), hitWall = JSONKey("hit_wall")
    }

    /// The members as the `Codable` conformance writes them (the step fast path's writer).
    package func writeMembers(to members: inout JSONMembers) {
        members.write(Key.row, row)
        members.write(Key.col, col)
        members.write(Key.goalRow, goalRow)
        members.write(Key.goalCol, goalCol)
        members.write(Key.size, size)
        members.write(Key.hitWall, hitWall)
    }
}

extension GridEnvironment.Action: JSONBytesReadable {
    /// `{"action": "UP"}` and the like (the step fast path's reader); anything else declines.
    package static func read(_ object: UnsafeBufferPointer<UInt8>) -> Self? {
        var reader = JSONFlatReader(object)
        // The string has no escapes (the reader declines them), so its bytes are its text.
        guard reader.begin(), reader.key("action"), let text = reader.string(), reader.end(),
            let move = GridEnvironment.Move(rawValue: String(decoding: text, as: UTF8.self))
        else { return nil }
        return Self(move)
    }
}
