import OpenEnvCore

/// One chance outcome and its probability, as OpenSpiel's `chance_outcomes()` lists them.
struct ChanceOutcome: Sendable, Equatable {
    var action: Int
    var probability: Double
}

/// OpenSpiel's special player ids (`pyspiel.PlayerId`).
enum PlayerID {
    static let chance = -1
    static let terminal = -4
}

/// A game state that plays exactly as its OpenSpiel counterpart: the same action ids, the
/// same legal actions in the same order, the same chance outcomes with the same
/// probabilities, the same per-transition rewards and the same tensor the reference sends as
/// `info_state` (the information-state tensor when the game provides one, else the
/// observation tensor: what `rl_environment.Environment` picks).
///
/// Value types: copying a state copies the game. Every method is pure computation.
protocol OpenSpielGameState: Sendable {
    var numPlayers: Int { get }
    /// A player id, ``PlayerID/chance`` or ``PlayerID/terminal``.
    var currentPlayer: Int { get }
    var isTerminal: Bool { get }
    /// The current player's legal actions, ascending; empty at the end.
    func legalActions() -> [Int]
    /// Only at a chance node.
    func chanceOutcomes() -> [ChanceOutcome]
    /// Applies a legal action (or chance outcome) of the current player.
    mutating func apply(_ action: Int)
    /// What the last transition paid each player (`State.rewards()`).
    func rewards() -> [Double]
    /// The tensor `rl_environment` reports as `info_state` for `player`.
    func infoState(for player: Int) -> [Double]
}

extension OpenSpielGameState {
    var isChanceNode: Bool { currentPlayer == PlayerID.chance }

    /// `State.legal_actions(player)`: the current player's actions, nobody else's.
    func legalActions(for player: Int) -> [Int] {
        currentPlayer == player ? legalActions() : []
    }
}

/// A game by its OpenSpiel name, with its parameters (`game_params`), ready to start.
struct OpenSpielGameSpec: Sendable, Equatable {
    var name: String
    var parameters: JSONObject

    /// The games served, by OpenSpiel name.
    static let names = ["catch", "tic_tac_toe", "connect_four", "kuhn_poker", "cliff_walking", "blackjack", "2048"]

    /// Checks the name and the parameters; throws a description of what is wrong.
    init(name: String, parameters: JSONObject = [:]) throws(OpenSpielGameError) {
        self.name = name
        self.parameters = parameters
        _ = try makeInitialState()
    }

    /// A fresh game, at its first (possibly chance) node.
    func makeInitialState() throws(OpenSpielGameError) -> any OpenSpielGameState {
        switch name {
        case "catch":
            let p = try Parameters(parameters, game: name, allowed: ["rows": 10, "columns": 5])
            guard p["rows"]! >= 2, p["columns"]! >= 1 else { throw OpenSpielGameError("catch needs rows >= 2 and columns >= 1") }
            return CatchState(rows: p["rows"]!, columns: p["columns"]!)
        case "tic_tac_toe":
            _ = try Parameters(parameters, game: name, allowed: [:])
            return TicTacToeState()
        case "connect_four":
            let p = try Parameters(parameters, game: name, allowed: ["rows": 6, "columns": 7, "x_in_row": 4])
            guard p["rows"]! >= 1, p["columns"]! >= 1, p["x_in_row"]! >= 1 else {
                throw OpenSpielGameError("connect_four needs positive rows, columns and x_in_row")
            }
            return ConnectFourState(rows: p["rows"]!, columns: p["columns"]!, inRow: p["x_in_row"]!)
        case "kuhn_poker":
            let p = try Parameters(parameters, game: name, allowed: ["players": 2])
            guard p["players"] == 2 else { throw OpenSpielGameError("kuhn_poker is served for 2 players only") }
            return KuhnPokerState()
        case "cliff_walking":
            let p = try Parameters(parameters, game: name, allowed: ["height": 4, "width": 8, "horizon": 100])
            guard p["height"]! >= 2, p["width"]! >= 3, p["horizon"]! >= 1 else {
                throw OpenSpielGameError("cliff_walking needs height >= 2, width >= 3 and horizon >= 1")
            }
            return CliffWalkingState(height: p["height"]!, width: p["width"]!, horizon: p["horizon"]!)
        case "blackjack":
            _ = try Parameters(parameters, game: name, allowed: [:])
            return BlackjackState()
        case "2048":
            let p = try Parameters(parameters, game: name, allowed: ["max_tile": 2048])
            guard p["max_tile"]! >= 4 else { throw OpenSpielGameError("2048 needs max_tile >= 4") }
            return TwentyFortyEightState(maxTile: p["max_tile"]!)
        default:
            throw OpenSpielGameError("Unknown game '\(name)'; served: \(Self.names.joined(separator: ", "))")
        }
    }
}

/// Integer game parameters with their OpenSpiel defaults.
private struct Parameters {
    var values: [String: Int]

    init(_ given: JSONObject, game: String, allowed defaults: [String: Int]) throws(OpenSpielGameError) {
        values = defaults
        for member in given.members {
            let key = member.key
            let value = member.value
            guard defaults[key] != nil else {
                let known = defaults.keys.sorted()
                throw OpenSpielGameError(
                    "\(game) has no parameter '\(key)'" + (known.isEmpty ? " (it takes none)" : "; it takes \(known.joined(separator: ", "))"))
            }
            guard case .int(let number) = value else { throw OpenSpielGameError("\(game) parameter '\(key)' must be an integer") }
            values[key] = number
        }
    }

    subscript(key: String) -> Int? { values[key] }
}

/// A game that cannot be created or an action that cannot be played.
public struct OpenSpielGameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
