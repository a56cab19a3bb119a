import OpenEnvCore

/// The kinds of message a TextArena game sends (TextArena's `ObservationType`).
enum TextArenaMessageKind: String, Sendable {
    case prompt = "PROMPT", playerAction = "PLAYER_ACTION", gameMessage = "GAME_MESSAGE"
    case gameBoard = "GAME_BOARD", gameAdmin = "GAME_ADMIN"
}

/// One player's game as TextArena's `SinglePlayerState` keeps it: the turn, the messages not
/// yet read, the log, the rewards once done, `game_info`, and the one invalid move in a row
/// that is forgiven (`error_allowance` 1) before the next one ends the game.
struct TextArenaSinglePlayer: Sendable {
    static let gameID = -1

    var turn = 0
    var done = false
    var maxTurns: Int?
    /// `{0: reward}` once set, else nil (`None`). An integer where the game sets one (a win's 1).
    var reward: JSONValue?
    var reason: String?
    var invalidMove = false
    var turnCount = 0
    var errorCount = 0
    var madeInvalidMove = false
    /// Messages added since the observation was last read: (from, text, kind).
    var pending: [(from: Int, text: String, kind: TextArenaMessageKind)] = []
    var logs: [(from: Int, text: String)] = []

    init(maxTurns: Int? = nil) { self.maxTurns = maxTurns }

    /// `add_observation`: a player's action loses the role tags `[Player]` and `[GAME]`.
    mutating func add(_ text: String, _ kind: TextArenaMessageKind, from: Int = gameID) {
        var text = text
        if kind == .playerAction {
            for tag in ["[Player]", "[GAME]"] { text = text.replacingAll(tag, with: "") }
        }
        logs.append((from, text))
        pending.append((from, text, kind))
    }

    /// `set_outcome`.
    mutating func setOutcome(reward: JSONValue, reason: String) {
        self.reward = reward
        self.reason = reason
        done = true
    }

    /// `set_invalid_move`: the first invalid move in a row is answered, the second ends the game
    /// with `reward`.
    mutating func setInvalidMove(reason: String, reward: Double) {
        if errorCount < 1 {
            errorCount += 1
            madeInvalidMove = true
            add("You attempted an invalid move. Reason: \(reason) Please resubmit a valid move and remember to follow the game rules to avoid penalties.", .gameAdmin)
        } else {
            self.reward = .double(reward)
            self.reason = "Invalid Move: \(reason)"
            invalidMove = true
            done = true
        }
    }

    /// `check_turn_limit`.
    var turnLimitReached: Bool { maxTurns.map { turn >= $0 && !done } ?? false }

    /// `step()`, the end of every step: a valid move counts a turn. (As TextArena's, the flag of
    /// an invalid move is not cleared once the game is done.)
    mutating func finishStep() {
        if !madeInvalidMove {
            errorCount = 0
            turn += 1
            turnCount += 1
        }
        if done { return }
        madeInvalidMove = false
    }

    /// `get_current_player_observation`: the pending messages, now read.
    mutating func takePending() -> [(from: Int, text: String, kind: TextArenaMessageKind)] {
        defer { pending = [] }
        return pending
    }

    /// `game_info[0]`.
    var gameInfo: JSONObject {
        var info: JSONObject = ["role": "Player 0", "invalid_move": .bool(invalidMove), "turn_count": .int(turnCount)]
        if let reason { info["reason"] = .string(reason) }
        return info
    }
}

/// A one-player TextArena game: what it does on reset and on each action, on the shared state.
protocol TextArenaGame: Sendable {
    /// The TextArena id (`Wordle-v0`, `Sudoku-v0`, ...).
    var envID: String { get }
    /// `max_turns` of TextArena's state (nil: none).
    var maxTurns: Int? { get }
    /// `reset`, after `random.seed(seed)`: draws the game and adds the prompt (and any board).
    mutating func reset(_ state: inout TextArenaSinglePlayer, random: inout PythonRandom)
    /// `step(action)` up to (not including) `state.step()`. `action` is already formatted.
    mutating func step(_ action: String, _ state: inout TextArenaSinglePlayer)
    /// `state.game_state`.
    var gameState: JSONObject { get }
}

extension String {
    /// Every occurrence of `target` replaced, left to right (Python's `str.replace`).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    /// Python's `str.strip()` (whitespace at both ends).
    var pythonStripped: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isPythonWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isPythonWhitespace })!
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// `str.isspace()` for one character: the bidirectional whitespace classes and the
    /// separators Python counts (ASCII \t \n \v \f \r, \x1c-\x1f, space, and Unicode Zs/Zl/Zp).
    var isPythonWhitespace: Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: return true
        default:
            switch properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }

    /// A character of Python's `\w` in a `str` pattern: alphanumeric (`str.isalnum()`) or `_`.
    var isPythonWordCharacter: Bool {
        if value == 0x5F { return true }
        if value < 0x80 { return (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return properties.numericType != nil
        }
    }
}
