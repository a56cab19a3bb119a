/// OpenSpiel's `2048` on a 4x4 board: chance places two tiles, then after every move one
/// more (in a uniformly chosen empty cell: a 2 with probability 0.9, a 4 with 0.1; outcome
/// (row * 4 + column) * 2 + is_four). Moves: up (0), right (1), down (2), left (3), legal when
/// they change the board; equal tiles merge once per move and the merged value is the
/// reward. The game ends at `max_tile`, on a full board without merges, or after
/// 4 * max_tile actions (chance included). `info_state` is the observation tensor: the 16 tile
/// values, row-major.
struct TwentyFortyEightState: OpenSpielGameState {
    let maxTile: Int
    private var board = [Int](repeating: 0, count: 16)
    private var merged = [Bool](repeating: false, count: 16)
    private var player = PlayerID.chance
    private var extraChanceTurn = true
    private var score = 0
    private var moves = 0

    private static let noCellAvailable = 32
    /// The row order and the column order each move visits the tiles in.
    private static let traversals: [([Int], [Int])] = [
        ([0, 1, 2, 3], [0, 1, 2, 3]), ([0, 1, 2, 3], [3, 2, 1, 0]), ([3, 2, 1, 0], [0, 1, 2, 3]), ([0, 1, 2, 3], [0, 1, 2, 3]),
    ]
    private static let vectors = [(-1, 0), (0, 1), (1, 0), (0, -1)]

    init(maxTile: Int) { self.maxTile = maxTile }

    var numPlayers: Int { 1 }

    private func content(_ r: Int, _ c: Int) -> Int {
        (0..<4).contains(r) && (0..<4).contains(c) ? board[r * 4 + c] : 0
    }

    private func matchAvailable(_ r: Int, _ c: Int) -> Bool {
        let tile = board[r * 4 + c]
        return tile > 0 && Self.vectors.contains { content(r + $0.0, c + $0.1) == tile }
    }

    var isTerminal: Bool {
        if moves >= 4 * maxTile { return true }
        if board.contains(maxTile) { return true }
        if board.contains(0) { return false }
        return !(0..<16).contains { matchAvailable($0 / 4, $0 % 4) }
    }

    var currentPlayer: Int { isTerminal ? PlayerID.terminal : player }

    /// Where a tile at (r, c) slides to in `direction`, and the cell after that.
    private func farthest(_ r: Int, _ c: Int, _ direction: Int) -> (Int, Int, Int, Int) {
        let (dr, dc) = Self.vectors[direction]
        var (row, column) = (r, c)
        var previous = (r, c)
        repeat {
            previous = (row, column)
            row += dr
            column += dc
        } while (0..<4).contains(row) && (0..<4).contains(column) && board[row * 4 + column] == 0
        return (previous.0, previous.1, row, column)
    }

    private func changesBoard(_ direction: Int) -> Bool {
        let (rows, columns) = Self.traversals[direction]
        for r in rows {
            for c in columns where board[r * 4 + c] > 0 {
                let (fr, fc, nr, nc) = farthest(r, c, direction)
                let next = content(nr, nc)
                if next > 0 && next == board[r * 4 + c] && !merged[nr * 4 + nc] { return true }
                if fr != r || fc != c { return true }
            }
        }
        return false
    }

    func legalActions() -> [Int] {
        if isTerminal { return [] }
        if player == PlayerID.chance { return chanceOutcomes().map(\.action) }
        return (0..<4).filter(changesBoard)
    }

    func chanceOutcomes() -> [ChanceOutcome] {
        let empty = (0..<16).filter { board[$0] == 0 }
        if empty.isEmpty { return [ChanceOutcome(action: Self.noCellAvailable, probability: 1.0)] }
        return empty.flatMap { cell in
            [ChanceOutcome(action: cell * 2, probability: 0.9 / Double(empty.count)),
             ChanceOutcome(action: cell * 2 + 1, probability: 0.1 / Double(empty.count))]
        }
    }

    mutating func apply(_ action: Int) {
        moves += 1
        if player == PlayerID.chance {
            if !extraChanceTurn { player = 0 }
            extraChanceTurn = false
            if action == Self.noCellAvailable { return }
            board[action / 2] = action % 2 == 1 ? 4 : 2
            merged[action / 2] = false
            return
        }
        var actionScore = 0
        merged = [Bool](repeating: false, count: 16)
        let (rows, columns) = Self.traversals[action]
        for r in rows {
            for c in columns {
                let tile = content(r, c)
                guard tile > 0 else { continue }
                let (fr, fc, nr, nc) = farthest(r, c, action)
                let next = content(nr, nc)
                var moved = false
                if next > 0 && next == tile && !merged[nr * 4 + nc] {
                    actionScore += tile * 2
                    board[nr * 4 + nc] = tile * 2
                    merged[nr * 4 + nc] = true
                    moved = true
                } else if fr != r || fc != c {
                    board[fr * 4 + fc] = tile
                    merged[fr * 4 + fc] = false
                    moved = true
                }
                if moved {
                    board[r * 4 + c] = 0
                    merged[r * 4 + c] = false
                    player = PlayerID.chance
                }
            }
        }
        score += actionScore
        lastScore = actionScore
    }

    private var lastScore = 0

    func rewards() -> [Double] { [Double(lastScore)] }

    func infoState(for player: Int) -> [Double] { board.map(Double.init) }
}
