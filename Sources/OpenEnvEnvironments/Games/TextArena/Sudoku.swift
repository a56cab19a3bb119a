import OpenEnvCore

/// Sudoku as TextArena's `SudokuEnv` (textarena 0.7.4, `Sudoku-v0`: 60 clues, 100 turns)
/// plays it. The puzzle is drawn as TextArena draws it, so a seed gives TextArena's puzzle: a
/// full grid filled cell by cell in reading order, trying the digits in a freshly shuffled
/// order at each cell (backtracking), then the 81 cells shuffled and taken from the end until
/// 60 are left, each emptied unless the puzzle then has more than one solution.
///
/// A move is the first `[row col num]` of the message (1-based; digits, one whitespace between).
/// A move outside 1...9, into a cell already filled (a clue or an earlier move), or whose number
/// is not the solution's is an invalid move (the first one in a row is answered, the second
/// ends the game paying the share of the empty cells filled correctly); a right number fills the
/// cell and shows the board; the last cell filled pays 1. The messages are TextArena's, word for
/// word.
struct Sudoku: TextArenaGame {
    var envID: String { "Sudoku-v0" }
    var maxTurns: Int? { 100 }
    let clues = 60
    /// TextArena's `full_grid`: the solution.
    var solution: [[Int]] = []
    /// TextArena's `game_board`: the puzzle as drawn (0 for an empty cell).
    var puzzle: [[Int]] = []
    /// `game_state["board"]`: the puzzle and the moves so far.
    var board: [[Int]] = []
    var renderedBoard = ""
    var completed = false

    mutating func reset(_ state: inout TextArenaSinglePlayer, random: inout PythonRandom) {
        solution = Self.fullGrid(random: &random)
        puzzle = Self.removeCells(solution, keeping: clues, random: &random)
        board = puzzle
        renderedBoard = Self.render(puzzle)
        completed = false
        state.add(Self.prompt, .prompt)
        state.add("Game Board:\n\(Self.render(board))", .gameBoard)
    }

    mutating func step(_ action: String, _ state: inout TextArenaSinglePlayer) {
        let player = 0
        state.add(action, .playerAction, from: player)
        guard let move = Self.parseMove(action) else {
            state.setInvalidMove(reason: "Invalid move format. Player \(player) did not respond with valid 'row column number'.", reward: completion)
            finishTurn(&state)
            return
        }
        guard let row = move.row.inBounds, let col = move.col.inBounds, let num = move.num.inBounds else {
            state.setInvalidMove(reason: "Invalid move. Player \(player) attempted to place \(move.num.text) at (\(move.row.text), \(move.col.text)), which is out of bounds.", reward: completion)
            finishTurn(&state)
            return
        }
        let (r, c) = (row - 1, col - 1)
        if board[r][c] != 0 {
            state.setInvalidMove(reason: "Invalid move. Player \(player) attempted to overwrite a pre-filled cell (\(row), \(col)).", reward: completion)
        } else if solution[r][c] == num {
            board[r][c] = num
            state.add("Board state: \n\(Self.render(board))", .gameBoard)
        } else {
            state.setInvalidMove(reason: "Invalid move. Player \(player) attempted to place \(num) at (\(row), \(col)), which violates Sudoku rules.", reward: completion)
        }
        if board == solution {
            completed = true
            state.setOutcome(reward: .int(1), reason: "Congratulations! Player \(player) completed the Sudoku puzzle.")
        }
        renderedBoard = Self.render(board)
        finishTurn(&state)
    }

    /// The turn limit, checked after every move.
    private func finishTurn(_ state: inout TextArenaSinglePlayer) {
        if state.turnLimitReached {
            let pct = completion
            state.setOutcome(reward: .double(pct), reason: "The turn limit has been reached. You correctly filled \(Int((pct * 100).rounded(.toNearestOrEven)))% of the empty cells.")
        }
    }

    /// The share of the puzzle's empty cells that hold the solution's number.
    var completion: Double {
        var correct = 0
        var total = 0
        for r in 0..<9 {
            for c in 0..<9 where puzzle[r][c] == 0 {
                total += 1
                if board[r][c] == solution[r][c] { correct += 1 }
            }
        }
        return total > 0 ? Double(correct) / Double(total) : 0
    }

    var gameState: JSONObject {
        ["board": .array(board.map { .array($0.map(JSONValue.int)) }), "rendered_board": .string(renderedBoard), "completed": .bool(completed)]
    }

    // MARK: - the move

    /// A number of the move as Python's `int()` reads a run of decimal digits: its decimal text
    /// (no leading zeros) and, when it is 1...9, its value.
    struct Number: Equatable {
        var text: String
        var inBounds: Int? { text.count == 1 ? Int(text).flatMap { (1...9).contains($0) ? $0 : nil } : nil }
    }

    /// The first `[row col num]` of the message (Python's `re.search(r"\[(\d+)\s(\d+)\s(\d+)\]")`:
    /// `\d` any Unicode decimal digit, `\s` one whitespace character).
    static func parseMove(_ text: String) -> (row: Number, col: Number, num: Number)? {
        let scalars = Array(text.unicodeScalars)
        func digits(from start: Int) -> (Number, end: Int)? {
            var end = start
            var value: [Int] = []
            while end < scalars.count, let digit = decimalDigit(scalars[end]) {
                value.append(digit)
                end += 1
            }
            guard end > start else { return nil }
            let trimmed = value.drop(while: { $0 == 0 })
            return (Number(text: trimmed.isEmpty ? "0" : trimmed.map(String.init).joined()), end)
        }
        for start in scalars.indices where scalars[start] == "[" {
            guard let (row, afterRow) = digits(from: start + 1), afterRow < scalars.count, scalars[afterRow].isPythonWhitespace,
                  let (col, afterCol) = digits(from: afterRow + 1), afterCol < scalars.count, scalars[afterCol].isPythonWhitespace,
                  let (num, afterNum) = digits(from: afterCol + 1), afterNum < scalars.count, scalars[afterNum] == "]"
            else { continue }
            return (row, col, num)
        }
        return nil
    }

    /// The value of a character of Unicode category Nd (what Python's `\d` matches and `int()` reads).
    static func decimalDigit(_ scalar: Unicode.Scalar) -> Int? {
        if ("0"..."9").contains(scalar) { return Int(scalar.value - 48) }
        guard scalar.value >= 0x80, scalar.properties.generalCategory == .decimalNumber,
              let value = scalar.properties.numericValue else { return nil }
        return Int(value)
    }

    // MARK: - the puzzle

    /// `_generate_full_grid`.
    static func fullGrid(random: inout PythonRandom) -> [[Int]] {
        var grid = Array(repeating: Array(repeating: 0, count: 9), count: 9)
        _ = fill(&grid, random: &random)
        return grid
    }

    private static func fill(_ grid: inout [[Int]], random: inout PythonRandom) -> Bool {
        guard let (row, col) = firstEmpty(grid) else { return true }
        var numbers = Array(1...9)
        random.shuffle(&numbers)
        for num in numbers where isSafe(grid, row, col, num) {
            grid[row][col] = num
            if fill(&grid, random: &random) { return true }
            grid[row][col] = 0
        }
        return false
    }

    /// `_remove_cells`: the cells shuffled, then taken from the end while more than `clues` are
    /// left, each emptied unless that leaves more than one solution.
    static func removeCells(_ grid: [[Int]], keeping clues: Int, random: inout PythonRandom) -> [[Int]] {
        var puzzle = grid
        var cells = (0..<81).map { ($0 / 9, $0 % 9) }
        random.shuffle(&cells)
        while cells.count > clues {
            let (row, col) = cells.removeLast()
            let removed = puzzle[row][col]
            puzzle[row][col] = 0
            if countSolutions(puzzle, limit: 2) != 1 { puzzle[row][col] = removed }
        }
        return puzzle
    }

    /// The number of solutions of `grid`, counting up to `limit`.
    static func countSolutions(_ grid: [[Int]], limit: Int = 2) -> Int {
        var grid = grid
        var count = 0
        func search() {
            guard count < limit else { return }
            guard let (row, col) = firstEmpty(grid) else { count += 1; return }
            for num in 1...9 where isSafe(grid, row, col, num) {
                grid[row][col] = num
                search()
                grid[row][col] = 0
                if count >= limit { return }
            }
        }
        search()
        return count
    }

    static func firstEmpty(_ grid: [[Int]]) -> (Int, Int)? {
        for row in 0..<9 { for col in 0..<9 where grid[row][col] == 0 { return (row, col) } }
        return nil
    }

    /// No `num` yet in the row, the column or the 3x3 box.
    static func isSafe(_ grid: [[Int]], _ row: Int, _ col: Int, _ num: Int) -> Bool {
        if grid[row].contains(num) { return false }
        if (0..<9).contains(where: { grid[$0][col] == num }) { return false }
        let (top, left) = (3 * (row / 3), 3 * (col / 3))
        for r in top..<(top + 3) { for c in left..<(left + 3) where grid[r][c] == num { return false } }
        return true
    }

    /// `_get_grid_string_with_indices`: column and row labels, `.` for an empty cell, `|`
    /// and a dashed line between the boxes.
    static func render(_ grid: [[Int]]) -> String {
        let header = "   " + (1...9).map { "C\($0)" + ($0 % 3 == 0 ? "  " : "") }.joined(separator: " ")
        var lines = [header]
        for (i, row) in grid.enumerated() {
            var line = "R\(i + 1) "
            for (j, num) in row.enumerated() {
                line += " \(num == 0 ? "." : String(num)) "
                if (j + 1) % 3 == 0 && j < 8 { line += "| " }
            }
            lines.append(line.pythonStripped)
            if (i + 1) % 3 == 0 && i < 8 { lines.append("   " + String(repeating: "- ", count: 16)) }
        }
        return lines.joined(separator: "\n")
    }

    static let prompt = [
        "You are Player 0. You are playing Sudoku.",
        "Here is the current state of the Sudoku grid. Each row is numbered from 1 to 9, and each column is also numbered from 1 to 9.",
        "Empty cells are represented by '.', and pre-filled cells contain digits from 1 to 9.",
        "",
        "Current Sudoku Grid:",
        "Your objective is to fill the empty cells in the 9x9 grid with digits from 1 to 9 such that:",
        "1. Each row contains all digits from 1 to 9 without repetition.",
        "2. Each column contains all digits from 1 to 9 without repetition.",
        "3. Each of the nine 3x3 subgrids contains all digits from 1 to 9 without repetition.",
        "",
        "Rules and Instructions:",
        "1. **Do not overwrite** the initial numbers provided in the grid.",
        "2. **Only fill** empty cells represented by '.'.",
        "3. You may respond in any manner you prefer, but ensure that your response includes the format of '[row column number]'.",
        "4. **Ensure** that your move does not violate Sudoku rules. Invalid moves will result in penalties.",
        "Examples:",
        "- **Valid Move**:",
        "  - Grid Snippet Before Move:",
        "  ",
        "  - Move: `[5 3 7]`",
        "  - Explanation: Placing 7 at row 5, column 3 does not violate any Sudoku rules.",
        "",
        "- **Invalid Move** (Overwriting a pre-filled cell):",
        "  - Grid Snippet Before Move:",
        "  ",
        "  - Move: `[1 1 9]`",
        "  - Explanation: Cell (1,1) is already filled with 5. You cannot overwrite it.",
        "",
        "- **Invalid Move** (Violating Sudoku rules):",
        "  - Grid Snippet Before Move:",
        "  ",
        "  - Move: `[1 3 5]`",
        "  - Explanation: Placing 5 in row 1, column 3 violates the rule since 5 already exists in row 1.",
        "",
        "The history of your moves and thoughts will be appended as you play more rounds. Use the history of your move to improve your decision making by avoiding the moves you have tried. Good luck!",
        "",
        "",
    ].joined(separator: "\n")
}
