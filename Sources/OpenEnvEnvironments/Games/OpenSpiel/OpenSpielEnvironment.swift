import OpenEnvCore
import Synchronization

/// OpenSpiel games with the wire shape of the reference's `openspiel_env`, so its typed
/// client (`OpenSpielEnv`, `OpenSpielAction`/`OpenSpielObservation`/`OpenSpielState`) plays
/// them unchanged: action `{"action_id": n}` (optionally `game_name`, `game_params`, which
/// the reference accepts and ignores), observation `info_state`, `legal_actions`,
/// `game_phase`, `current_player_id`, `opponent_last_action`, state `game_name`,
/// `agent_player`, `opponent_policy`, `game_params`, `num_players`.
///
/// Plays as the reference's wrapper over `rl_environment.Environment` does: chance nodes are
/// sampled, the agent controls `agent_player`, the other players move by `opponent_policy`
/// (`random`, `first`, `last`, `middle`) until it is the agent's turn or the game is over;
/// `reward` is what the last transition paid the agent (`null` on a first time step), and a
/// step after the end starts a new game, ignoring its action, as `rl_environment` does.
///
/// Seeded and deterministic: `reset(seed: N)` draws chance outcomes as
/// `ChanceEventSampler(seed=N)` does (`numpy.random.RandomState(N mod 2^32)`) and random
/// opponent moves as `random.Random(N).choice(legal_actions)`; without a seed both start
/// from a random one. An action that is not legal is refused (the session keeps its state).
/// Differences from the reference: docs/compatibility.md.
///
/// A ``SynchronousEnvironment`` (its calls never suspend): the game lives in a ``Match``
/// behind a lock, and the server steps it without entering an actor.
public final class OpenSpielEnvironment: SynchronousEnvironment {
    /// What a server (or a reset) plays.
    public struct Configuration: Sendable, Equatable {
        public var gameName: String
        public var gameParams: JSONObject
        public var agentPlayer: Int
        public var opponentPolicy: String

        public init(gameName: String = "catch", gameParams: JSONObject = [:], agentPlayer: Int = 0, opponentPolicy: String = "random") {
            self.gameName = gameName
            self.gameParams = gameParams
            self.agentPlayer = agentPlayer
            self.opponentPolicy = opponentPolicy
        }

        /// The opponent policies of the reference's `opponent_policies.py`.
        public static let opponentPolicies = ["random", "first", "last", "middle"]

        /// - Throws: ``OpenSpielGameError`` for an unknown game, parameter or policy, or an
        ///   agent player the game does not have.
        func validated() throws(OpenSpielGameError) -> (OpenSpielGameSpec, numPlayers: Int) {
            let spec = try OpenSpielGameSpec(name: gameName, parameters: gameParams)
            let players = try spec.makeInitialState().numPlayers
            guard (0..<players).contains(agentPlayer) else {
                throw OpenSpielGameError("agent_player=\(agentPlayer) is not a player of \(gameName) (num_players=\(players))")
            }
            guard Self.opponentPolicies.contains(opponentPolicy) else {
                throw OpenSpielGameError("Unknown opponent policy: \(opponentPolicy) (known: \(Self.opponentPolicies.joined(separator: ", ")))")
            }
            return (spec, players)
        }
    }

    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        public var actionId: Int
        public var gameName: String?
        public var gameParams: JSONObject?
        public init(actionId: Int) { self.actionId = actionId }
        public static var schemaTitle: String { "OpenSpielAction" }
        public static var schemaDescription: String? { "Action for OpenSpiel environments." }
        public static var propertyDescriptions: [String: String] {
            ["action_id": "The integer action ID to take (from legal_actions)",
             "game_name": "Accepted as the reference does and ignored: the game is chosen per server or per reset",
             "game_params": "Accepted as the reference does and ignored"]
        }
    }

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var infoState: [Double]
        public var legalActions: [Int]
        public var gamePhase: String
        public var currentPlayerId: Int
        public var opponentLastAction: Int?
        public static var schemaTitle: String { "OpenSpielObservation" }
        public static var schemaDescription: String? { "Observation from OpenSpiel environment, from the agent player's perspective." }
        public static var propertyDescriptions: [String: String] {
            ["info_state": "The game's information-state tensor for the agent (its observation tensor when the game has none), flattened",
             "legal_actions": "Legal action IDs of the agent (empty at the end)",
             "game_phase": "initial, playing or terminal",
             "current_player_id": "The player to move (-4 at the end)",
             "opponent_last_action": "The last action an opponent took in this episode, null before any"]
        }
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var gameName: String
        public var agentPlayer: Int
        public var opponentPolicy: String
        public var gameParams: JSONObject
        public var numPlayers: Int
        public static var schemaTitle: String { "OpenSpielState" }
        public static var schemaDescription: String? { "State for OpenSpiel environment." }
    }

    public static let info = EnvironmentInfo(
        name: "OpenSpielEnvironment", envName: "openspiel_env",
        description: "OpenSpiel games (catch, tic_tac_toe, connect_four, kuhn_poker, cliff_walking, blackjack, 2048): {\"action_id\": n}, as the reference openspiel_env.",
        defaultMaxSessions: 1024)
    /// Games step in microseconds and never block.
    public static let execution = ExecutionPolicy.eventLoop

    private let defaults: Configuration
    private let match: Mutex<Match>

    /// - Throws: ``OpenSpielGameError`` when `configuration` names no playable game.
    public init(configuration: Configuration = Configuration()) throws(OpenSpielGameError) {
        let (spec, players) = try configuration.validated()
        defaults = configuration
        let state = State(
            episodeID: nil, stepCount: 0, gameName: configuration.gameName, agentPlayer: configuration.agentPlayer,
            opponentPolicy: configuration.opponentPolicy, gameParams: configuration.gameParams, numPlayers: players)
        match = Mutex(try Match(spec: spec, state: state))
    }

    public var stateNow: State { match.withLock { $0.state } }

    /// Options a reset may take beside `seed` and `episode_id` (an extension: the reference's
    /// reset takes none): `game_name`, `game_params`, `agent_player`, `opponent_policy`. Each
    /// given one replaces the server's for this episode; the others are the server's.
    public func resetNow(seed: Int?, episodeID: String?, options: JSONObject) throws -> StepResult<Observation> {
        try match.withLock { try $0.reset(seed: seed, episodeID: episodeID, options: options, defaults: defaults) }
    }

    public func stepNow(_ action: Action) throws -> StepResult<Observation> {
        try match.withLock { try $0.step(action) }
    }

    /// One game in progress and everything that plays it: what the lock guards.
    struct Match {
        private(set) var state: State
        private var spec: OpenSpielGameSpec
        private var game: any OpenSpielGameState
        private var chance = PythonRandom(numpySeed: 0)
        /// The random opponents' generator, seeded on first use (one-player games never draw).
        private var opponents: PythonRandom?
        private var opponentSeed = 0
        private var lastOpponentAction: Int?
        /// The last time step was the end: the next step starts a new game (`rl_environment`).
        private var shouldRestart = false

        init(spec: OpenSpielGameSpec, state: State) throws(OpenSpielGameError) {
            self.spec = spec
            game = try spec.makeInitialState()
            self.state = state
        }

        /// ``OpenSpielEnvironment/resetNow(seed:episodeID:options:)``, the server's
        /// configuration being `defaults`.
        mutating func reset(seed: Int?, episodeID: String?, options: JSONObject, defaults: Configuration) throws -> StepResult<Observation> {
            var configuration = defaults
            if let value = options["game_name"], value != .null {
                guard case .string(let name) = value else { throw OpenSpielGameError("game_name must be a string") }
                configuration.gameName = name
                configuration.gameParams = [:]
            }
            if let value = options["game_params"], value != .null {
                guard case .object(let params) = value else { throw OpenSpielGameError("game_params must be an object") }
                configuration.gameParams = params
            }
            if let value = options["agent_player"], value != .null {
                guard case .int(let player) = value else { throw OpenSpielGameError("agent_player must be an integer") }
                configuration.agentPlayer = player
            }
            if let value = options["opponent_policy"], value != .null {
                guard case .string(let policy) = value else { throw OpenSpielGameError("opponent_policy must be a string") }
                configuration.opponentPolicy = policy
            }
            let (spec, players) = try configuration.validated()
            self.spec = spec
            let seed = seed ?? Int(UInt32.random(in: .min ... .max))
            chance = PythonRandom(numpySeed: UInt32(truncatingIfNeeded: seed))
            opponents = nil
            opponentSeed = seed
            state = State(
                episodeID: episodeID ?? UUIDString.random(), stepCount: 0, gameName: configuration.gameName,
                agentPlayer: configuration.agentPlayer, opponentPolicy: configuration.opponentPolicy,
                gameParams: configuration.gameParams, numPlayers: players)
            lastOpponentAction = nil
            var step = try restart()
            autoplayOpponents(&step)
            return observe(step)
        }

        mutating func step(_ action: Action) throws -> StepResult<Observation> {
            var step: TimeStep
            if shouldRestart {
                step = try restart()
            } else {
                let legal = game.legalActions(for: state.agentPlayer)
                guard legal.contains(action.actionId) else {
                    throw OpenSpielGameError("Illegal action \(action.actionId) for player \(state.agentPlayer). Legal actions are: \(legal)")
                }
                game.apply(action.actionId)
                step = advance()
            }
            state.stepCount += 1
            autoplayOpponents(&step)
            return observe(step)
        }

        /// What `rl_environment` reports after a reset (`first`, no rewards) or a step.
        private struct TimeStep {
            var first: Bool
            var rewards: [Double]?
        }

        /// A new game with its opening chance nodes sampled (`rl_environment.reset`).
        private mutating func restart() throws -> TimeStep {
            game = try spec.makeInitialState()
            sampleChance()
            shouldRestart = game.isTerminal
            return TimeStep(first: true, rewards: nil)
        }

        /// After an action: chance nodes sampled, then the time step (`rl_environment.step`).
        private mutating func advance() -> TimeStep {
            sampleChance()
            shouldRestart = game.isTerminal
            return TimeStep(first: false, rewards: game.rewards())
        }

        private mutating func sampleChance() {
            while game.isChanceNode { game.apply(chance.choice(game.chanceOutcomes())) }
        }

        private mutating func drawOpponentAction(_ legal: [Int]) -> Int {
            if opponents == nil { opponents = PythonRandom(seed: opponentSeed) }
            return opponents!.choice(legal)
        }

        /// The reference's `_auto_play_opponents`: every opponent turn, each counted as a step.
        private mutating func autoplayOpponents(_ step: inout TimeStep) {
            while !game.isTerminal && game.currentPlayer != state.agentPlayer {
                let legal = game.legalActions()
                let action: Int = switch state.opponentPolicy {
                case "random": drawOpponentAction(legal)
                case "last": legal[legal.count - 1]
                case "middle": legal[legal.count / 2]
                default: legal[0]
                }
                lastOpponentAction = action
                game.apply(action)
                step = advance()
                state.stepCount += 1
            }
        }

        private func observe(_ step: TimeStep) -> StepResult<Observation> {
            let agent = state.agentPlayer
            let done = game.isTerminal
            let phase = done ? "terminal" : step.first ? "initial" : "playing"
            let observation = Observation(
                infoState: game.infoState(for: agent), legalActions: game.legalActions(for: agent), gamePhase: phase,
                currentPlayerId: game.currentPlayer, opponentLastAction: lastOpponentAction)
            return StepResult(observation, reward: step.rewards.map { .double($0[agent]) }, done: done)
        }
    }
}

extension OpenSpielEnvironment {
    /// The options of `openenv serve openspiel`.
    public static let gameOption = "--game"
    public static let gameParamsOption = "--game-params"
    public static let agentPlayerOption = "--agent-player"
    public static let opponentPolicyOption = "--opponent-policy"

    /// The configuration `options` describe (defaults: catch, player 0, random opponents).
    /// - Throws: ``EnvironmentOptionsError`` naming what is wrong.
    public static func configuration(_ options: EnvironmentOptions) throws(EnvironmentOptionsError) -> Configuration {
        try options.requireOnly([gameOption, gameParamsOption, agentPlayerOption, opponentPolicyOption], for: "openspiel")
        var configuration = Configuration()
        if let game = options[gameOption] { configuration.gameName = game }
        if let text = options[gameParamsOption] {
            guard case .object(let params)? = try? JSONParser.parse(text) else {
                throw EnvironmentOptionsError("\(gameParamsOption) must be a JSON object, like '{\"rows\": 8}', not '\(text)'")
            }
            configuration.gameParams = params
        }
        if let text = options[agentPlayerOption] {
            guard let player = Int(text) else { throw EnvironmentOptionsError("\(agentPlayerOption) must be an integer, not '\(text)'") }
            configuration.agentPlayer = player
        }
        if let policy = options[opponentPolicyOption] { configuration.opponentPolicy = policy }
        do {
            _ = try configuration.validated()
        } catch {
            throw EnvironmentOptionsError("openspiel: \(error)")
        }
        return configuration
    }

    /// `openspiel`, as `openenv serve openspiel [--game NAME] [--game-params JSON]
    /// [--agent-player N] [--opponent-policy random|first|last|middle]` serves it.
    public static let entry = EnvironmentEntry(
        name: "openspiel", kind: .typed,
        factory: EnvironmentFactory { try OpenSpielEnvironment() },
        configure: { options in
            let configuration = try configuration(options)
            return EnvironmentFactory { try OpenSpielEnvironment(configuration: configuration) }
        })
}

extension OpenSpielEnvironment.Observation: JSONMembersWritable {
    private enum Key {
        static let infoState = JSONKey("info_state"), legalActions = JSONKey("legal_actions"), gamePhase = JSONKey("game_phase")
        static let currentPlayerId = JSONKey("current_player_id"), opponentLastAction = JSONKey("opponent_last_action")
    }

    /// The members as the `Codable` conformance writes them (the step fast path's writer).
    package func writeMembers(to members: inout JSONMembers) {
        members.write(Key.infoState, infoState)
        members.write(Key.legalActions, legalActions)
        members.write(Key.gamePhase, gamePhase)
        members.write(Key.currentPlayerId, currentPlayerId)
        members.write(Key.opponentLastAction, opponentLastAction)
    }
}

extension OpenSpielEnvironment.Action: JSONBytesReadable {
    /// `{"action_id": 2}` (the step fast path's reader); anything else declines.
    package static func read(_ object: UnsafeBufferPointer<UInt8>) -> Self? {
        var reader = JSONFlatReader(object)
        guard reader.begin(), reader.key("action_id"), let id = reader.integer(), reader.end() else { return nil }
        return Self(actionId: id)
    }
}
