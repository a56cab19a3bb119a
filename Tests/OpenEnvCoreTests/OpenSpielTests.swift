import Testing
@testable import OpenEnvCore
@testable import OpenEnvEnvironments

/// The openspiel games' own rules and seeded draws. Expected values come from numpy and
/// CPython (printed by `numpy.random.RandomState(seed)` and `random.Random(seed)`) and from
/// hand computation of the games' rules; Tests/Interop/test_openspiel.py replays thousands
/// of games against pyspiel itself.
@Suite struct OpenSpielTests {
    /// `numpy.random.RandomState(seed).random_sample()`, twice.
    @Test(arguments: [(0, 0.5488135039273248, 0.7151893663724195), (1, 0.417022004702574, 0.7203244934421581),
                      (42, 0.3745401188473625, 0.9507143064099162), (4_294_967_295, 0.0976320289940138, 0.9123828453026218)])
    func chanceDrawsMatchNumpy(seed: Int, first: Double, second: Double) {
        var random = PythonRandom(numpySeed: UInt32(seed))
        #expect(random.random() == first && random.random() == second)
    }

    /// `RandomState(seed).choice(actions, p=probs)`, eight times: catch's columns and Kuhn's first deal.
    @Test(arguments: [(0, [2, 3, 3, 2, 2, 3, 2, 4], [1, 2, 1, 1, 1, 1, 1, 2]),
                      (1, [2, 3, 0, 1, 0, 0, 0, 1], [1, 2, 0, 0, 0, 0, 0, 1]),
                      (42, [1, 4, 3, 2, 0, 0, 0, 4], [1, 2, 2, 1, 0, 0, 0, 2])])
    func chanceOutcomesMatchNumpyChoice(seed: Int, columns: [Int], cards: [Int]) {
        var random = PythonRandom(numpySeed: UInt32(seed))
        let five = (0..<5).map { ChanceOutcome(action: $0, probability: 1.0 / 5) }
        #expect((0..<8).map { _ in random.choice(five) } == columns)
        random = PythonRandom(numpySeed: UInt32(seed))
        let three = (0..<3).map { ChanceOutcome(action: $0, probability: 1.0 / 3) }
        #expect((0..<8).map { _ in random.choice(three) } == cards)
    }

    /// `random.Random(seed).choice(range(9))` eight times, then `choice([3, 5])` four times.
    @Test(arguments: [(0, [6, 6, 0, 4, 8, 7, 6, 4], [5, 5, 3, 3]), (42, [1, 0, 4, 3, 3, 2, 1, 8], [3, 5, 3, 3]),
                      (-5, [4, 5, 8, 0, 7, 3, 0, 2], [3, 5, 5, 3]), (1_099_511_627_779, [3, 0, 8, 1, 4, 6, 3, 7], [5, 5, 5, 5])])
    func randomOpponentsMatchCPythonChoice(seed: Int, cells: [Int], pair: [Int]) {
        var random = PythonRandom(seed: seed)
        #expect((0..<8).map { _ in random.choice(Array(0..<9)) } == cells)
        #expect((0..<4).map { _ in random.choice([3, 5]) } == pair)
    }

    @Test func kuhnPokerPaysThePotAsTheRulesSay() {
        // (cards of players 0 and 1, betting, returns): by hand, ante 1 each, a bet adds 1.
        let cases: [([Int], [Int], [Double])] = [
            ([2, 0], [1, 0], [1, -1]),      // bet, fold: the bettor takes the antes
            ([0, 2], [0, 0], [-1, 1]),      // check, check: the higher card
            ([0, 1], [0, 1, 1], [-2, 2]),   // check, bet, call: the higher card among the bettors
            ([2, 1], [0, 1, 0], [-1, 1]),   // check, bet, fold
            ([1, 0], [1, 1], [2, -2]),      // bet, call
        ]
        for (cards, bets, returns) in cases {
            var game = KuhnPokerState()
            for card in cards { game.apply(card) }
            for (n, bet) in bets.enumerated() {
                #expect(!game.isTerminal && game.currentPlayer == n % 2)
                game.apply(bet)
            }
            #expect(game.isTerminal && game.currentPlayer == PlayerID.terminal && game.rewards() == returns, "\(cards) \(bets)")
        }
    }

    @Test func catchPaysOneWhenThePaddleIsUnderTheBall() {
        var game = CatchState(rows: 10, columns: 5)
        #expect(game.isChanceNode && game.chanceOutcomes().map(\.probability) == Array(repeating: 0.2, count: 5))
        game.apply(0)  // ball in column 0; the paddle starts in column 2
        #expect(game.infoState(for: 0).indices.filter { game.infoState(for: 0)[$0] == 1 } == [0, 47])
        for action in [0, 0, 1, 1, 1, 1, 1, 1] { game.apply(action) }
        #expect(!game.isTerminal)
        game.apply(2)  // the ball reaches the bottom row as the paddle leaves column 0
        #expect(game.isTerminal && game.rewards() == [-1.0])
    }

    @Test func cliffWalkingPunishesTheCliffAndCountsSteps() {
        var game = CliffWalkingState(height: 4, width: 8, horizon: 100)
        game.apply(1)  // up
        #expect(game.rewards() == [-1.0] && game.infoState(for: 0)[1] == 1)
        game.apply(3)  // down, back to the start
        game.apply(0)  // right, into the cliff
        #expect(game.isTerminal && game.rewards() == [-100.0])
    }

    @Test func connectFourFindsDiagonalsAndFillsFromTheBottom() {
        var game = ConnectFourState(rows: 6, columns: 7, inRow: 4)
        // x builds the diagonal (0,0) (1,1) (2,2) (3,3); o fills under it.
        for move in [0, 1, 1, 2, 2, 3, 2, 3, 3, 6] { game.apply(move) }
        #expect(!game.isTerminal && game.currentPlayer == 0)
        game.apply(3)
        #expect(game.isTerminal && game.rewards() == [1.0, -1.0])
        let tensor = game.infoState(for: 1)
        #expect(tensor.count == 126 && tensor[0] == 1 && tensor[42 + 1] == 1 && tensor[84 + 4] == 1)
    }

    @Test func aTicTacToeEpisodeAgainstTheFirstLegalMove() async throws {
        let env = try OpenSpielEnvironment(configuration: .init(gameName: "tic_tac_toe", opponentPolicy: "first"))
        let start = try await env.reset(seed: 1, episodeID: "e", options: [:])
        #expect(start.reward == nil && start.observation.gamePhase == "initial" && start.observation.legalActions == Array(0..<9))
        var last = start
        for (move, opponent) in [(4, 0), (2, 1)] {
            last = try await env.step(.init(actionId: move))
            #expect(last.observation.opponentLastAction == opponent && last.reward == 0.0 && last.observation.gamePhase == "playing")
        }
        await #expect(throws: OpenSpielGameError.self) { try await env.step(.init(actionId: 4)) }
        last = try await env.step(.init(actionId: 6))  // 2-4-6: x wins
        #expect(last.done && last.reward == 1.0 && last.observation.gamePhase == "terminal" && last.observation.legalActions.isEmpty)
        #expect(last.observation.currentPlayerId == -4 && last.observation.opponentLastAction == 1)
        let steps = await env.state.stepCount
        #expect(steps == 5)
        let again = try await env.step(.init(actionId: 8))  // after the end: a new game, the action ignored
        #expect(again.reward == nil && again.observation.gamePhase == "initial" && again.observation.legalActions.count == 9)
    }

    @Test func optionsAndResetsRefuseWhatTheGameDoesNotHave() async throws {
        #expect(throws: EnvironmentOptionsError.self) {
            try OpenSpielEnvironment.configuration(EnvironmentOptions(values: [("--game", "chess")]))
        }
        #expect(throws: EnvironmentOptionsError.self) {
            try OpenSpielEnvironment.configuration(EnvironmentOptions(values: [("--game", "catch"), ("--agent-player", "1")]))
        }
        let configuration = try OpenSpielEnvironment.configuration(
            EnvironmentOptions(values: [("--game", "catch"), ("--game-params", #"{"rows": 4, "columns": 3}"#)]))
        let env = try OpenSpielEnvironment(configuration: configuration)
        let start = try await env.reset(seed: 0, episodeID: nil, options: [:])
        #expect(start.observation.infoState.count == 12)
        await #expect(throws: OpenSpielGameError.self) {
            try await env.reset(seed: 0, episodeID: nil, options: ["game_params": ["depth": 3]])
        }
        let kuhn = try await env.reset(seed: 0, episodeID: nil, options: ["game_name": "kuhn_poker"])
        let players = await env.state.numPlayers
        #expect(kuhn.observation.infoState.count == 11 && players == 2)
    }
}
