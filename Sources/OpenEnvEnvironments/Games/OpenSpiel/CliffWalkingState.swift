/// OpenSpiel's `cliff_walking` (Sutton and Barto, example 6.6): the player starts in the
/// bottom-left cell of a height x width grid, the goal is the bottom-right cell and the
/// cells between them are the cliff. Actions: right (0), up (1), left (2), down (3), clamped
/// to the grid. Each step pays -1, stepping into the cliff pays -100 and ends the game, as do
/// the goal and the horizon. `info_state` is the information-state tensor: the one-hot
/// action history, 4 per step, horizon steps long.
struct CliffWalkingState: OpenSpielGameState {
    let height: Int
    let width: Int
    let horizon: Int
    private var row: Int
    private var column = 0
    private var history: [Int] = []

    init(height: Int, width: Int, horizon: Int) {
        self.height = height
        self.width = width
        self.horizon = horizon
        row = height - 1
    }

    private var isCliff: Bool { column > 0 && column < width - 1 && row == height - 1 }
    private var isGoal: Bool { row == height - 1 && column == width - 1 }

    var numPlayers: Int { 1 }
    var isTerminal: Bool { history.count >= horizon || isCliff || isGoal }
    var currentPlayer: Int { isTerminal ? PlayerID.terminal : 0 }

    func legalActions() -> [Int] { isTerminal ? [] : [0, 1, 2, 3] }
    func chanceOutcomes() -> [ChanceOutcome] { [] }

    mutating func apply(_ action: Int) {
        switch action {
        case 0: column += 1
        case 1: row -= 1
        case 2: column -= 1
        default: row += 1
        }
        row = min(max(row, 0), height - 1)
        column = min(max(column, 0), width - 1)
        history.append(action)
    }

    func rewards() -> [Double] {
        if isCliff { return [-100.0] }
        return history.isEmpty ? [0.0] : [-1.0]
    }

    func infoState(for player: Int) -> [Double] {
        var tensor = [Double](repeating: 0, count: 4 * horizon)
        for (step, action) in history.enumerated() { tensor[step * 4 + action] = 1 }
        return tensor
    }
}
