/// OpenSpiel's two-player `kuhn_poker`: three cards (0 < 1 < 2), one dealt to each player by
/// chance (uniform over the cards left), an ante of 1 each; players act in turn, pass (0)
/// or bet (1). Pass-pass: the higher card wins the antes; a bet answered by a pass: the
/// bettor wins; a bet answered by a bet (a call): the higher card among those who bet wins.
/// Returns pay the pot minus one's own stake to the winner, minus the stake to the other.
/// `info_state` is the information-state tensor (11): the player one-hot (2), the own card
/// one-hot (3), then three betting rounds of (pass, bet) one-hot.
struct KuhnPokerState: OpenSpielGameState {
    /// `cards[player]`, dealt in order.
    private var cards: [Int] = []
    /// The players' betting actions in order.
    private var bets: [Int] = []
    private var winner: Int?

    var numPlayers: Int { 2 }
    var isTerminal: Bool { winner != nil }
    var currentPlayer: Int {
        if isTerminal { return PlayerID.terminal }
        return cards.count < 2 ? PlayerID.chance : bets.count % 2
    }

    func legalActions() -> [Int] {
        if isTerminal { return [] }
        if cards.count < 2 { return (0..<3).filter { !cards.contains($0) } }
        return [0, 1]
    }

    func chanceOutcomes() -> [ChanceOutcome] {
        let left = (0..<3).filter { !cards.contains($0) }
        return left.map { ChanceOutcome(action: $0, probability: 1.0 / Double(3 - cards.count)) }
    }

    private func didBet(_ player: Int) -> Bool {
        bets.indices.contains { $0 % 2 == player && bets[$0] == 1 }
    }

    private var firstBettor: Int? { bets.firstIndex(of: 1).map { $0 % 2 } }

    mutating func apply(_ action: Int) {
        if cards.count < 2 {
            cards.append(action)
            return
        }
        bets.append(action)
        if let firstBettor {
            if bets.count == 2 + firstBettor {
                let bettors = (0..<2).filter { didBet($0) }
                winner = bettors.max { cards[$0] < cards[$1] }
            }
        } else if bets.count == 2 {
            winner = cards[0] > cards[1] ? 0 : 1
        }
    }

    func rewards() -> [Double] {
        guard let winner else { return [0.0, 0.0] }
        let stakes = (0..<2).map { didBet($0) ? 2.0 : 1.0 }
        let pot = 2.0 + Double(bets.filter { $0 == 1 }.count)
        return (0..<2).map { $0 == winner ? pot - stakes[$0] : -stakes[$0] }
    }

    func infoState(for player: Int) -> [Double] {
        var tensor = [Double](repeating: 0, count: 11)
        tensor[player] = 1
        if cards.count > player { tensor[2 + cards[player]] = 1 }
        for (round, action) in bets.enumerated() { tensor[5 + 2 * round + action] = 1 }
        return tensor
    }
}
