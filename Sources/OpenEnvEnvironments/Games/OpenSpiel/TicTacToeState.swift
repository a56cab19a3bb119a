/// OpenSpiel's `tic_tac_toe`: player 0 is x, player 1 is o; action n marks cell n (row-major,
/// 0 top left). Returns +1/-1 to the player with a line, 0/0 for a draw. `info_state` is
/// the observation tensor: three planes of nine cells (empty, o, x), one-hot per cell.
struct TicTacToeState: OpenSpielGameState {
    /// 0 empty, 1 nought (o, player 1), 2 cross (x, player 0): OpenSpiel's `CellState`.
    private var board = [Int](repeating: 0, count: 9)
    private var player = 0
    private var moves = 0
    private var winner: Int?

    private static let lines = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]]

    var numPlayers: Int { 2 }
    var isTerminal: Bool { winner != nil || moves == 9 }
    var currentPlayer: Int { isTerminal ? PlayerID.terminal : player }

    func legalActions() -> [Int] {
        isTerminal ? [] : board.indices.filter { board[$0] == 0 }
    }

    func chanceOutcomes() -> [ChanceOutcome] { [] }

    private func hasLine(_ mark: Int) -> Bool {
        Self.lines.contains { line in line.allSatisfy { board[$0] == mark } }
    }

    mutating func apply(_ action: Int) {
        let mark = player == 0 ? 2 : 1
        board[action] = mark
        if hasLine(mark) { winner = player }
        player = 1 - player
        moves += 1
    }

    func rewards() -> [Double] {
        if hasLine(2) { return [1.0, -1.0] }
        if hasLine(1) { return [-1.0, 1.0] }
        return [0.0, 0.0]
    }

    func infoState(for player: Int) -> [Double] {
        var tensor = [Double](repeating: 0, count: 27)
        for cell in 0..<9 { tensor[board[cell] * 9 + cell] = 1 }
        return tensor
    }
}
