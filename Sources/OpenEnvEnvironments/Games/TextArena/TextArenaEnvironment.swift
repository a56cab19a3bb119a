import OpenEnvCore

/// TextArena's one-player games with the wire shape of the reference's `textarena_env`, so its
/// typed client (`TextArenaAction`/`TextArenaObservation`/`TextArenaState`) plays them
/// unchanged (`Wordle-v0`, `Sudoku-v0`): action `{"message": "[crane]"}` or `{"message": "[5 3 7]"}`; observation `prompt`, `messages`
/// (`{sender_id, content, category}`), `current_player_id`, `legal_players`, `info`; state
/// `env_id`, `num_players`, `max_turns`, `turn`, `last_reward`, `last_info`, `raw_state`.
///
/// Served as the reference serves `ta.make(env_id)`: TextArena's default wrappers format the
/// action (`crane` becomes `[crane]`; a message with a bracket is kept) and turn the messages
/// into one text, `\n[GAME] ...` / `\n[Player] ...` for everything seen so far, which the
/// reference passes on as one message (sender -1, category `MESSAGE`); the prompt is that text
/// before the first valid move, else the env id. The reward is 0 until the game sets one.
/// For `Wordle-v0` the reference's reward provider adds `info.reward_signals` (`wordle.greens`,
/// `wordle.yellows`, `wordle.repetitions`, `wordle.correct`).
///
/// Seeded and deterministic: `reset(seed: N)` plays what TextArena's `env.reset(seed=N)` does
/// (`random.seed(N)` then the game's draws, CPython's Mersenne Twister): Wordle's secret from
/// this server's word list, Sudoku's puzzle exactly as TextArena's. Without a seed the game is
/// drawn at random. Differences from TextArena (the word
/// lists) and from the reference (which ignores the seed): docs/compatibility.md.
public actor TextArenaEnvironment: Environment {
    /// The games served, by TextArena id.
    public enum Game: String, Sendable, CaseIterable {
        case wordle = "Wordle-v0"
        case sudoku = "Sudoku-v0"

        func make() -> any TextArenaGame {
            switch self {
            case .wordle: Wordle()
            case .sudoku: Sudoku()
            }
        }
    }

    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        public var message: String
        public init(message: String) { self.message = message }
        public static var schemaTitle: String { "TextArenaAction" }
        public static var schemaDescription: String? { "Action issued by the agent for TextArena games." }
    }

    public struct Message: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var senderId: Int
        public var content: String
        public var category: String
        public static var schemaTitle: String { "TextArenaMessage" }
        public static var schemaDescription: String? { "Single message observed by a player." }
    }

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var prompt: String
        public var messages: [Message]
        public var currentPlayerId: Int
        public var legalPlayers: [Int]
        public var info: JSONObject
        public static var schemaTitle: String { "TextArenaObservation" }
        public static var schemaDescription: String? { "Observation returned from any TextArena game." }
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var envId: String
        public var numPlayers: Int
        public var maxTurns: Int?
        public var turn: Int
        public var lastReward: Double
        public var lastInfo: JSONObject
        public var rawState: JSONObject
        public static var schemaTitle: String { "TextArenaState" }
        public static var schemaDescription: String? { "Structured state snapshot for the server." }
    }

    public static let info = EnvironmentInfo(
        name: "TextArenaEnvironment", envName: "textarena_env",
        description: "TextArena's Wordle and Sudoku: {\"message\": \"[crane]\"} in, TextArena's messages out, as the reference textarena_env.",
        defaultMaxSessions: 1024)
    /// A step is a few string operations: microseconds, never blocking.
    public static let execution = ExecutionPolicy.eventLoop

    public private(set) var state: State
    private let kind: Game
    private var game: any TextArenaGame
    private var arena = TextArenaSinglePlayer()
    /// What the observation wrapper has shown so far (`full_observations[0]`).
    private var shown: [(from: Int, text: String)] = []
    /// The reward provider's guesses of this episode (`Wordle-v0` only).
    private var guessCounts: [String: Int] = [:]
    private var lastSignals: JSONObject = [:]

    public init(game: Game = .wordle) {
        kind = game
        self.game = game.make()
        state = State(episodeID: nil, stepCount: 0, envId: game.rawValue, numPlayers: 1, maxTurns: nil, turn: 0,
                      lastReward: 0, lastInfo: [:], rawState: [:])
        var random = PythonRandom(seed: 0)
        arena = TextArenaSinglePlayer(maxTurns: self.game.maxTurns)
        self.game.reset(&arena, random: &random)
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        var random = PythonRandom(seed: seed ?? Int(UInt32.random(in: .min ... .max)))
        game = kind.make()
        arena = TextArenaSinglePlayer(maxTurns: game.maxTurns)
        game.reset(&arena, random: &random)
        shown = []
        guessCounts = [:]
        state.episodeID = episodeID ?? UUIDString.random()
        state.stepCount = 0
        state.turn = 0
        state.lastReward = 0
        state.lastInfo = [:]
        // As the reference: the snapshot is taken before the last episode's signals are cleared.
        state.rawState = snapshot()
        lastSignals = [:]
        let (observation, metadata) = observe()
        return StepResult(observation, reward: .double(0), done: false, metadata: metadata)
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> {
        // ActionFormattingWrapper, then the game.
        let formatted = action.message.contains("[") || action.message.contains("]") ? action.message : "[\(action.message)]"
        game.step(formatted, &arena)
        arena.finishStep()
        state.stepCount += 1
        state.turn = arena.turn
        var (observation, metadata) = observe()
        let reward = arena.reward?.doubleValue ?? 0
        state.lastReward = reward
        var lastInfo: JSONObject = [:]
        if kind == .wordle {
            let signals = wordleSignals(message: action.message, observation: observation, reward: reward)
            observation.info["reward_signals"] = .object(signals)
            metadata["reward_signals"] = .object(signals)
            lastInfo["reward_signals"] = .object(signals)
            lastSignals = signals
        }
        state.lastInfo = lastInfo
        state.rawState = snapshot()
        return StepResult(observation, reward: .double(reward), done: arena.done, metadata: metadata)
    }

    /// The reference's `_build_observation` over TextArena's default observation wrapper.
    private func observe() -> (Observation, JSONObject) {
        shown += arena.takePending().map { ($0.from, $0.text) }
        let text = shown.map { "\n[\($0.from == TextArenaSinglePlayer.gameID ? "GAME" : "Player")] \($0.text)" }.joined()
        let messages = text.isEmpty ? [] : [Message(senderId: -1, content: text, category: "MESSAGE")]
        let prompt = arena.turn == 0 && !messages.isEmpty ? text.pythonStripped : kind.rawValue
        let observation = Observation(prompt: prompt, messages: messages, currentPlayerId: 0, legalPlayers: [0], info: [:])
        let metadata: JSONObject = [
            "env_id": .string(kind.rawValue), "turn": .int(arena.turn),
            "raw_messages": .array(messages.map { .object(["sender_id": .int($0.senderId), "content": .string($0.content), "category": .string($0.category)]) }),
        ]
        return (observation, metadata)
    }

    /// The reference's `_snapshot_state`.
    private func snapshot() -> JSONObject {
        var raw: JSONObject = [
            "turn": .int(arena.turn),
            "game_state": .object(game.gameState),
            "logs": .array(arena.logs.map { .array([.int($0.from), .string($0.text)]) }),
            "rewards": arena.reward.map { .object(["0": $0]) } ?? .null,
            "done": .bool(arena.done),
            "role_mapping": .object(["0": "Player", "-1": "GAME"]),
            "game_info": .object(["0": .object(arena.gameInfo)]),
            "step_info": .object([:]),
        ]
        if !lastSignals.isEmpty { raw["reward_signals"] = .object(lastSignals) }
        return raw
    }

    /// The reference's Wordle reward provider (`rewards.py`): greens and yellows of the latest
    /// feedback line (over 5), 1 minus the times this guess was made before, and the reward.
    private func wordleSignals(message: String, observation: Observation, reward: Double) -> JSONObject {
        let guess = Self.extractGuess(message)
        let normalized = guess == "[dunno]" ? "" : guess
        let previous = normalized.isEmpty ? 0 : guessCounts[normalized, default: 0]
        var greens = 0.0
        var yellows = 0.0
        if let feedback = Self.latestFeedback(observation.messages), let counts = Self.feedbackCounts(feedback) {
            greens = Double(counts.green) / 5
            yellows = Double(counts.yellow) / 5
        }
        if !normalized.isEmpty { guessCounts[normalized] = previous + 1 }
        return ["wordle.greens": .double(greens), "wordle.yellows": .double(yellows),
                "wordle.repetitions": .double(1 - Double(previous)), "wordle.correct": .double(reward)]
    }

    /// `extract_guess`: the first `[xxxxx]` of five ASCII letters, lowercased; else the first
    /// five a-z letters of the lowercased text, bracketed; else `[dunno]`.
    static func extractGuess(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        func isASCIILetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
        if scalars.count >= 7 {
            for i in 0...(scalars.count - 7) where scalars[i] == "[" && scalars[i + 6] == "]" && scalars[(i + 1)...(i + 5)].allSatisfy(isASCIILetter) {
                var match = String.UnicodeScalarView()
                match.append(contentsOf: scalars[i...(i + 6)])
                return String(match).lowercased()
            }
        }
        let cleaned = text.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) }
        guard cleaned.count >= 5 else { return "[dunno]" }
        var first = String.UnicodeScalarView()
        first.append(contentsOf: cleaned.prefix(5))
        return "[" + String(first) + "]"
    }

    /// `extract_wordle_feedback`: in the last message that has `Feedback:`, what follows its
    /// first `Feedback:`, stripped.
    static func latestFeedback(_ messages: [Message]) -> String? {
        for message in messages.reversed() {
            let content = message.content.pythonStripped
            if let range = content.range(of: "Feedback:") { return String(content[range.upperBound...]).pythonStripped }
        }
        return nil
    }

    /// `extract_feedback_counts`: G and Y of the last line made only of G, Y and X (spaces
    /// aside), when the feedback has at least two non-blank lines.
    static func feedbackCounts(_ feedback: String) -> (green: Int, yellow: Int)? {
        guard !feedback.isEmpty else { return nil }
        let lines = feedback.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).pythonStripped }.filter { !$0.isEmpty }
        guard lines.count >= 2 else { return nil }
        for line in lines.reversed() {
            let normalized = line.replacingAll(" ", with: "")
            if !normalized.isEmpty && normalized.allSatisfy({ "GYX".contains($0) }) {
                return (normalized.filter { $0 == "G" }.count, normalized.filter { $0 == "Y" }.count)
            }
        }
        return nil
    }
}

extension TextArenaEnvironment {
    public static let envIDOption = "--env-id"

    /// `textarena`, as `openenv serve textarena [--env-id Wordle-v0|Sudoku-v0]` serves it.
    public static let entry = EnvironmentEntry(
        name: "textarena", kind: .typed,
        factory: EnvironmentFactory { TextArenaEnvironment() },
        configure: { options in
            try options.requireOnly([envIDOption], for: "textarena")
            let text = options[envIDOption] ?? Game.wordle.rawValue
            guard let game = Game(rawValue: text) else {
                throw EnvironmentOptionsError("\(envIDOption) must be one of \(Game.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
            return EnvironmentFactory { TextArenaEnvironment(game: game) }
        })
}
