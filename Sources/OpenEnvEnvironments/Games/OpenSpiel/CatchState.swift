/// OpenSpiel's `catch`: a ball falls from a random column of the top row, one row per
/// step; the paddle on the bottom row starts in the middle column and moves left (0), stays
/// (1) or right (2). The game ends when the ball reaches the bottom row: +1 if the paddle is
/// under it, -1 otherwise. The first node is chance (the ball's column, uniform).
/// `info_state` is the observation tensor: rows x columns, 1 at the ball and at the paddle.
struct CatchState: OpenSpielGameState {
    let rows: Int
    let columns: Int
    private var initialized = false
    private var ballRow = -1
    private var ballColumn = -1
    private var paddleColumn = -1

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    var numPlayers: Int { 1 }
    var isTerminal: Bool { initialized && ballRow >= rows - 1 }
    var currentPlayer: Int { !initialized ? PlayerID.chance : isTerminal ? PlayerID.terminal : 0 }

    func legalActions() -> [Int] {
        if isTerminal { return [] }
        return initialized ? [0, 1, 2] : Array(0..<columns)
    }

    func chanceOutcomes() -> [ChanceOutcome] {
        (0..<columns).map { ChanceOutcome(action: $0, probability: 1.0 / Double(columns)) }
    }

    mutating func apply(_ action: Int) {
        if !initialized {
            initialized = true
            ballColumn = action
            ballRow = 0
            paddleColumn = columns / 2
        } else {
            ballRow += 1
            paddleColumn = min(max(paddleColumn + action - 1, 0), columns - 1)
        }
    }

    func rewards() -> [Double] {
        guard isTerminal else { return [0.0] }
        return [ballColumn == paddleColumn ? 1.0 : -1.0]
    }

    func infoState(for player: Int) -> [Double] {
        var tensor = [Double](repeating: 0, count: rows * columns)
        if initialized {
            tensor[ballRow * columns + ballColumn] = 1
            tensor[(rows - 1) * columns + paddleColumn] = 1
        }
        return tensor
    }
}
