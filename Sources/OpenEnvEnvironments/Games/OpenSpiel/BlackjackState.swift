/// OpenSpiel's `blackjack`: one player against the dealer, one 52-card deck (card c is rank
/// c % 13 of suit c / 13; rank 0 is the ace, 1 or 11; ranks 10-12 count 10). Chance deals
/// two cards to the player, then two to the dealer (the first face down); the player hits (0)
/// or stands (1); past 21 the player busts. The dealer then draws while at 16 or less.
/// Returns: -1 for a bust, +1 when the dealer busts or has less, 0 for a tie. `info_state` is
/// the observation tensor (189): the player to move one-hot (chance, player), the end flag, the
/// player's best total as 30 thermometer cells, the dealer's face-up card, then each hand's
/// visible cards (the dealer's hidden card only once the player's turn is over).
struct BlackjackState: OpenSpielGameState {
    private static let dealer = 1
    private var cards: [[Int]] = [[], []]
    private var deck = Array(0..<52)
    private var turnOver = [false, false]
    private var player = PlayerID.chance
    private var turnPlayer = 0
    private var livePlayers = 1

    var numPlayers: Int { 1 }
    var isTerminal: Bool { turnOver[Self.dealer] }
    var currentPlayer: Int { player }

    func legalActions() -> [Int] {
        if isChanceNode { return deck }
        return isTerminal ? [] : [0, 1]
    }

    func chanceOutcomes() -> [ChanceOutcome] {
        deck.map { ChanceOutcome(action: $0, probability: 1.0 / Double(deck.count)) }
    }

    private static func value(_ card: Int) -> Int {
        let rank = card % 13
        return rank == 0 ? 1 : min(rank + 1, 10)
    }

    /// The highest total of the hand that does not pass 21, else its lowest.
    private func bestTotal(_ hand: Int) -> Int {
        let aces = cards[hand].filter { $0 % 13 == 0 }.count
        let others = cards[hand].filter { $0 % 13 != 0 }.reduce(0) { $0 + Self.value($1) }
        var total = others + aces
        if aces > 0 {
            for soft in 1...aces where others + soft * 11 + (aces - soft) <= 21 {
                total = max(total, others + soft * 11 + (aces - soft))
            }
        }
        return total
    }

    private mutating func deal(_ card: Int, to hand: Int) {
        deck.removeAll { $0 == card }
        cards[hand].append(card)
    }

    private mutating func endTurn(_ hand: Int) {
        turnOver[hand] = true
        turnPlayer = isTerminal ? PlayerID.terminal : turnOver[0] ? Self.dealer : 0
        player = turnPlayer
    }

    private mutating func dealerPlays() {
        if livePlayers == 0 { endTurn(Self.dealer) }
        if player == Self.dealer {
            if bestTotal(Self.dealer) <= 16 { player = PlayerID.chance } else { endTurn(Self.dealer) }
        }
    }

    mutating func apply(_ action: Int) {
        if cards[Self.dealer].count < 2 {
            deal(action, to: turnPlayer)
            player = PlayerID.chance
            if cards[turnPlayer].count >= 2 {
                turnPlayer += 1
                if cards[Self.dealer].count >= 2 {
                    turnPlayer = 0
                    player = 0
                }
            }
            return
        }
        if isChanceNode {
            deal(action, to: turnPlayer)
            player = turnPlayer
            if bestTotal(turnPlayer) > 21 {
                if turnPlayer != Self.dealer { livePlayers -= 1 }
                endTurn(turnPlayer)
            }
            dealerPlays()
            return
        }
        if action == 0 {
            player = PlayerID.chance
        } else {
            endTurn(turnPlayer)
            dealerPlays()
        }
    }

    func rewards() -> [Double] {
        guard isTerminal else { return [0.0] }
        let own = bestTotal(0)
        let dealer = bestTotal(Self.dealer)
        if own > 21 { return [-1.0] }
        if dealer > 21 || own > dealer { return [1.0] }
        return own < dealer ? [-1.0] : [0.0]
    }

    func infoState(for observer: Int) -> [Double] {
        var tensor = [Double](repeating: 0, count: 189)
        if player + 1 >= 0 && player + 1 < 2 { tensor[player + 1] = 1 }
        tensor[2] = isTerminal ? 1 : 0
        let best = bestTotal(observer)
        for i in 0..<30 where i <= best { tensor[3 + i] = 1 }
        if cards[Self.dealer].count > 1 { tensor[33 + cards[Self.dealer][1]] = 1 }
        let showAll = turnOver[observer]
        for hand in 0..<2 {
            let start = hand == Self.dealer && !showAll ? 1 : 0
            for card in cards[hand].dropFirst(start) { tensor[85 + 52 * hand + card] = 1 }
        }
        return tensor
    }
}
