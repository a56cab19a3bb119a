/// OpenSpiel's `connect_four`: player 0 is x, player 1 is o; action c drops a piece into
/// column c (legal while its top cell is empty). Row 0 is the bottom. The first line of
/// `x_in_row` pieces (horizontal, vertical or diagonal) wins (+1/-1), a full board is a draw.
/// `info_state` is the (non-egocentric) observation tensor: planes x, o, empty of
/// rows x columns.
struct ConnectFourState: OpenSpielGameState {
    let rows: Int
    let columns: Int
    let inRow: Int
    /// 0 empty, 1 nought (o), 2 cross (x), row-major from the bottom row.
    private var board: [Int]
    private var player = 0
    private var outcome: Outcome = .unknown

    private enum Outcome { case unknown, win(Int), draw }

    init(rows: Int, columns: Int, inRow: Int) {
        self.rows = rows
        self.columns = columns
        self.inRow = inRow
        board = [Int](repeating: 0, count: rows * columns)
    }

    var numPlayers: Int { 2 }
    var isTerminal: Bool {
        if case .unknown = outcome { return false }
        return true
    }
    var currentPlayer: Int { isTerminal ? PlayerID.terminal : player }

    private func cell(_ row: Int, _ column: Int) -> Int { board[row * columns + column] }

    func legalActions() -> [Int] {
        isTerminal ? [] : (0..<columns).filter { cell(rows - 1, $0) == 0 }
    }

    func chanceOutcomes() -> [ChanceOutcome] { [] }

    private func hasLine(_ mark: Int) -> Bool {
        for row in 0..<rows {
            for column in 0..<columns where cell(row, column) == mark {
                for (dr, dc) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
                    let endRow = row + (inRow - 1) * dr
                    let endColumn = column + (inRow - 1) * dc
                    guard (0..<rows).contains(endRow), (0..<columns).contains(endColumn) else { continue }
                    if (0..<inRow).allSatisfy({ cell(row + $0 * dr, column + $0 * dc) == mark }) { return true }
                }
            }
        }
        return false
    }

    mutating func apply(_ action: Int) {
        let mark = player == 0 ? 2 : 1
        var row = 0
        while cell(row, action) != 0 { row += 1 }
        board[row * columns + action] = mark
        if hasLine(mark) {
            outcome = .win(player)
        } else if (0..<columns).allSatisfy({ cell(rows - 1, $0) != 0 }) {
            outcome = .draw
        }
        player = 1 - player
    }

    func rewards() -> [Double] {
        if case .win(let winner) = outcome { return winner == 0 ? [1.0, -1.0] : [-1.0, 1.0] }
        return [0.0, 0.0]
    }

    func infoState(for player: Int) -> [Double] {
        var tensor = [Double](repeating: 0, count: 3 * rows * columns)
        for row in 0..<rows {
            for column in 0..<columns {
                let plane = switch cell(row, column) {
                case 2: 0
                case 1: 1
                default: 2
                }
                tensor[(plane * rows + row) * columns + column] = 1
            }
        }
        return tensor
    }
}
