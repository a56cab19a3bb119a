#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OpenEnvCore

/// Chess with the wire shape of the reference's `chess_env`, so its typed client
/// (`ChessAction`/`ChessObservation`/`ChessState`) plays it unchanged: action
/// `{"move": "e2e4"}` (UCI), observation `fen`, `legal_moves` (UCI, python-chess's order),
/// `is_check`, `result` (`1-0`, `0-1`, `1/2-1/2` once done, else null), metadata
/// `fullmove_number`, `halfmove_clock` (and `discounted_rewards`, `gamma` at the end), state
/// `fen`, `current_player` (`white`/`black`), `move_history`, `step_count` (half-moves).
///
/// Plays as the reference's `ChessEnvironment`: the agent plays `agent_color`; after its move
/// the opponent (`random`, or `none` for self-play, where every step moves the side to move)
/// answers. The game ends, as the reference checks it after each half-move, on checkmate
/// (reward 1 or -1 for the agent), stalemate, insufficient material, the fifty-move rule,
/// threefold repetition (python-chess's `is_repetition(3)`) or `max_moves` half-moves (all
/// 0). A move that is not legal (or not UCI) pays -0.1 and changes nothing.
///
/// Seeded and deterministic: `reset(seed: N)` draws the random opponent's moves as
/// `random.Random(N).choice(list(board.legal_moves))` does. Reset options: `fen` (a starting
/// position, as the reference's `reset(fen=)`), `agent_color`, `opponent`. Differences from
/// the reference (no moonfish engine or evaluation): docs/compatibility.md.
public actor ChessEnvironment: Environment {
    public enum Opponent: String, Sendable, CaseIterable {
        case random, none
    }

    public enum Color: String, Sendable, CaseIterable {
        case white, black
    }

    /// What a server (or a reset) plays.
    public struct Configuration: Sendable, Equatable {
        public var opponent: Opponent
        public var agentColor: Color
        public var maxMoves: Int
        public var gamma: Double

        public init(opponent: Opponent = .random, agentColor: Color = .white, maxMoves: Int = 500, gamma: Double = 0.99) {
            self.opponent = opponent
            self.agentColor = agentColor
            self.maxMoves = maxMoves
            self.gamma = gamma
        }
    }

    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        public var move: String
        public init(move: String) { self.move = move }
        public static var schemaTitle: String { "ChessAction" }
        public static var schemaDescription: String? { "Action for Chess environment." }
        public static var propertyDescriptions: [String: String] {
            ["move": "UCI format move string (e.g., \"e2e4\", \"e7e8q\" for promotion)"]
        }
    }

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var fen: String
        public var legalMoves: [String]
        public var isCheck: Bool
        public var result: String?
        public static var schemaTitle: String { "ChessObservation" }
        public static var schemaDescription: String? { "Observation for Chess environment." }
        public static var propertyDescriptions: [String: String] {
            ["fen": "Board position in FEN notation", "legal_moves": "Legal moves in UCI format",
             "is_check": "Whether the side to move is in check",
             "result": "Game result once over (\"1-0\", \"0-1\", \"1/2-1/2\"), else null"]
        }
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var fen: String
        public var currentPlayer: String
        public var moveHistory: [String]
        public static var schemaTitle: String { "ChessState" }
        public static var schemaDescription: String? { "State for Chess environment." }
    }

    public static let info = EnvironmentInfo(
        name: "ChessEnvironment", envName: "chess_env",
        description: "Chess with legal-move generation as python-chess: {\"move\": \"e2e4\"} in, FEN and legal moves out, as the reference chess_env.",
        defaultMaxSessions: 1024)
    /// A step is a few move generations: microseconds, never blocking.
    public static let execution = ExecutionPolicy.eventLoop

    public private(set) var state: State
    private let defaults: Configuration
    private var configuration: Configuration
    private var game = ChessGame()
    private var opponents = PythonRandom(seed: 0)
    private var agentMoves = 0

    public init(configuration: Configuration = Configuration()) {
        defaults = configuration
        self.configuration = configuration
        state = State(episodeID: nil, stepCount: 0, fen: ChessPosition.startFEN, currentPlayer: "white", moveHistory: [])
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        var configuration = defaults
        if let value = options["agent_color"], value != .null {
            guard case .string(let text) = value, let color = Color(rawValue: text) else { throw ChessError("agent_color must be \"white\" or \"black\"") }
            configuration.agentColor = color
        }
        if let value = options["opponent"], value != .null {
            guard case .string(let text) = value, let opponent = Opponent(rawValue: text) else {
                throw ChessError("opponent must be \"random\" or \"none\" (this server has no moonfish engine)")
            }
            configuration.opponent = opponent
        }
        var start = try ChessPosition(fen: ChessPosition.startFEN)
        if let value = options["fen"], value != .null {
            guard case .string(let fen) = value else { throw ChessError("fen must be a string") }
            start = try ChessPosition(fen: fen)
        }
        self.configuration = configuration
        game = ChessGame(start)
        opponents = PythonRandom(seed: seed ?? Int(UInt32.random(in: .min ... .max)))
        agentMoves = 0
        state = State(episodeID: episodeID ?? UUIDString.random(), stepCount: 0, fen: start.fen, currentPlayer: "", moveHistory: [])
        syncState()
        if configuration.opponent == .random && (configuration.agentColor == .white) != start.whiteToMove {
            opponentMove()
        }
        let (_, done) = outcome()
        return observe(reward: 0, done: done)
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> {
        guard let move = game.legalMoves.first(where: { $0.uci == action.move }) else {
            return observe(reward: -0.1, done: false)
        }
        play(move)
        agentMoves += 1
        var (reward, done) = outcome()
        if !done && configuration.opponent == .random {
            opponentMove()
            (reward, done) = outcome()
        }
        return observe(reward: reward, done: done)
    }

    private func play(_ move: ChessMove) {
        game.play(move)
        state.stepCount += 1
        state.moveHistory.append(move.uci)
        syncState()
    }

    private func syncState() {
        state.fen = game.position.fen
        state.currentPlayer = game.position.whiteToMove ? "white" : "black"
    }

    private func opponentMove() {
        guard !game.legalMoves.isEmpty else { return }
        play(game.legalMoves[opponents.randbelow(game.legalMoves.count)])
    }

    /// The reference's `_calculate_reward_and_done`, in its order.
    private func outcome() -> (reward: Double, done: Bool) {
        if game.isCheckmate {
            let agentWon = game.position.whiteToMove != (configuration.agentColor == .white)
            return (agentWon ? 1 : -1, true)
        }
        let drawn = game.isStalemate || game.isInsufficientMaterial || game.isFiftyMoves || game.isRepetition(3)
            || state.stepCount >= configuration.maxMoves
        return (0, drawn)
    }

    private func observe(reward: Double, done: Bool) -> StepResult<Observation> {
        let position = game.position
        var result: String?
        if done { result = game.isCheckmate ? (position.whiteToMove ? "0-1" : "1-0") : "1/2-1/2" }
        var metadata: JSONObject = ["fullmove_number": .int(position.fullmoveNumber), "halfmove_clock": .int(position.halfmoveClock)]
        if done && agentMoves > 0 {
            let gamma = configuration.gamma
            // gamma ** (T - 1 - t) * R, with C's pow as Python's float power.
            metadata["discounted_rewards"] = .array((0..<agentMoves).map { t in
                .double(pow(gamma, Double(agentMoves - 1 - t)) * reward)
            })
            metadata["gamma"] = .double(gamma)
        }
        let observation = Observation(fen: position.fen, legalMoves: game.legalMoves.map(\.uci), isCheck: position.isCheck, result: result)
        return StepResult(observation, reward: .double(reward), done: done, metadata: metadata)
    }
}

extension ChessEnvironment {
    public static let opponentOption = "--opponent"
    public static let agentColorOption = "--agent-color"
    public static let maxMovesOption = "--max-moves"

    /// The configuration `options` describe (defaults: random opponent, agent white, 500).
    /// - Throws: ``EnvironmentOptionsError`` naming what is wrong.
    public static func configuration(_ options: EnvironmentOptions) throws(EnvironmentOptionsError) -> Configuration {
        try options.requireOnly([opponentOption, agentColorOption, maxMovesOption], for: "chess")
        var configuration = Configuration()
        if let text = options[opponentOption] {
            guard let opponent = Opponent(rawValue: text) else {
                throw EnvironmentOptionsError("\(opponentOption) must be random or none, not '\(text)' (no moonfish engine here)")
            }
            configuration.opponent = opponent
        }
        if let text = options[agentColorOption] {
            guard let color = Color(rawValue: text) else { throw EnvironmentOptionsError("\(agentColorOption) must be white or black, not '\(text)'") }
            configuration.agentColor = color
        }
        if let text = options[maxMovesOption] {
            guard let moves = Int(text), moves >= 1 else { throw EnvironmentOptionsError("\(maxMovesOption) must be a positive integer, not '\(text)'") }
            configuration.maxMoves = moves
        }
        return configuration
    }

    /// `chess`, as `openenv serve chess [--opponent random|none] [--agent-color white|black]
    /// [--max-moves N]` serves it.
    public static let entry = EnvironmentEntry(
        name: "chess", kind: .typed,
        factory: EnvironmentFactory { ChessEnvironment() },
        configure: { options in
            let configuration = try configuration(options)
            return EnvironmentFactory { ChessEnvironment(configuration: configuration) }
        })
}
