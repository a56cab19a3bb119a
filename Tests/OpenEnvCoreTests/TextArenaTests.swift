import Testing
@testable import OpenEnvCore
@testable import OpenEnvEnvironments

/// TextArena's Wordle: feedback worked out by hand for double letters, the messages and
/// rewards of whole games (from TextArena's rules, by hand), seeded secrets (CPython's
/// `random.Random(seed).choice(secrets)`). Tests/Interop/test_textarena.py plays thousands of
/// random games against TextArena itself.
@Suite struct TextArenaTests {
    @Test(arguments: [
        ("abbey", "babes", "Y Y G G X"),  // the secret's second b is green, its first makes the guess's first b yellow
        ("abbey", "bobby", "Y X G X G"),  // one b left over for the first b; none for the second
        ("hello", "lolly", "X Y G G X"),  // both l used by greens: the first l is X
        ("crane", "eerie", "X X Y X G"),  // the e is green at the end: the earlier e are X
        ("speed", "erase", "Y X X Y Y"),  // s and e (twice) elsewhere in the word
        ("shoal", "shoal", "G G G G G"),
    ])
    func feedbackMarksGreensFirstThenYellowsLeftToRight(secret: String, guess: String, marks: String) {
        #expect(Wordle.feedback(secret: secret, guess: guess).joined(separator: " ") == marks)
    }

    @Test func theGuessIsTheFirstBracketedWord() {
        #expect(Wordle.firstBracketedWord("I say [crane] or [slate]") == "crane")
        #expect(Wordle.firstBracketedWord("[cr ane] [CRANE]") == "CRANE")
        #expect(Wordle.firstBracketedWord("[guess: crane]") == nil)
        #expect(Wordle.firstBracketedWord("[] [ab_cd]") == "ab_cd")
        #expect(Wordle.firstBracketedWord("[éclat]") == "éclat")
        #expect(Wordle.firstBracketedWord("]crane[") == nil)
    }

    @Test func seededSecretsAreCPythonsChoiceOverTheList() async throws {
        #expect(WordleWords.secrets.count == 2137 && WordleWords.guesses.count == 6748)
        // random.Random(seed).choice(secrets), by CPython 3.11.
        for (seed, secret) in [(0, "shoal"), (1, "drill"), (42, "cross")] {
            let env = TextArenaEnvironment()
            _ = try await env.reset(seed: seed, episodeID: nil, options: [:])
            #expect(await env.state.rawState["game_state"]?["secret_word"] == .string(secret))
        }
    }

    private func lastLine(_ result: StepResult<TextArenaEnvironment.Observation>) -> String {
        String(result.observation.messages.last?.content.split(separator: "\n[").last ?? "")
    }

    @Test func aGuessIsAnsweredAndTwoInvalidMovesInARowEndTheGame() async throws {
        let env = TextArenaEnvironment()
        let start = try await env.reset(seed: 0, episodeID: "e", options: [:])  // secret: shoal
        #expect(start.observation.prompt.hasPrefix("[GAME] You are Playing Wordle.\nA secret 5-letter word has been chosen. You have 6 attempts to guess it.\n"))
        #expect(start.reward == .double(0) && !start.done)
        let first = try await env.step(.init(message: "crane"))  // formatted as [crane]
        #expect(lastLine(first) == "GAME] You submitted [crane].\nFeedback:\nC R A N E\nX X Y X X\nYou have 5 guesses left.")
        #expect(first.observation.prompt == "Wordle-v0" && first.reward == .double(0) && !first.done)
        #expect(first.observation.info["reward_signals"]?["wordle.yellows"] == .double(0.2))
        let again = try await env.step(.init(message: "[CRANE]"))
        #expect(lastLine(again) == "GAME] You attempted an invalid move. Reason: You have already guessed 'crane' before. Please try a different word. Please resubmit a valid move and remember to follow the game rules to avoid penalties.")
        #expect(!again.done && again.reward == .double(0))
        #expect(again.observation.info["reward_signals"]?["wordle.repetitions"] == .double(0))
        let end = try await env.step(.init(message: "[zzzzz]"))
        // The second invalid move in a row: the reward is the last guess's completion, 0.5 / 5.
        #expect(end.done && end.reward == .double(0.1))
        // The answered invalid move counts no turn; the one that ends the game does (TextArena's
        // state.step() counts a turn whenever the move was not an answered invalid one).
        let state = await env.state
        #expect(state.turn == 2 && state.stepCount == 3 && state.lastReward == 0.1)
        #expect(state.rawState["game_info"]?["0"] == .object([
            "role": "Player 0", "invalid_move": true, "turn_count": 2, "reason": "Invalid Move: 'zzzzz' is not an English word.",
        ]))
    }

    @Test func theRightWordPaysOneAndTheSixthWrongOneItsCompletion() async throws {
        let env = TextArenaEnvironment()
        _ = try await env.reset(seed: 0, episodeID: nil, options: [:])
        let win = try await env.step(.init(message: "[shoal]"))
        #expect(win.done && win.reward == .double(1))
        #expect(await env.state.rawState["rewards"] == .object(["0": .int(1)]))

        _ = try await env.reset(seed: 1, episodeID: nil, options: [:])  // secret: drill
        var last: StepResult<TextArenaEnvironment.Observation>?
        for word in ["crane", "slate", "pious", "mound", "dross"] {
            last = try await env.step(.init(message: "[\(word)]"))
            #expect(last?.done == false)
        }
        #expect(lastLine(try #require(last)).hasSuffix("You have 1 guesses left."))
        let end = try await env.step(.init(message: "[drily]"))  // G G G G X: 4 / 5
        #expect(end.done && end.reward == .double(0.8))
        #expect(lastLine(end) == "GAME] You submitted [drily].\nFeedback:\nD R I L Y\nG G G G X\nYou have 0 guesses left.")
        #expect(await env.state.rawState["game_info"]?["0"]?["reason"] == .string(
            "The turn limit has been reached. You didn't guess the word, but your best guess matched 80% of the letters in the correct positions.\nThe secret word was: **drill**."))
    }
}

/// TextArena's Sudoku: seed 0's puzzle (TextArena 0.7.4's `reset(seed=0)` on CPython), moves
/// into it worked out by hand from its rows, columns and boxes, the rendering, a whole game
/// won, and the uniqueness of generated puzzles by the solver. Tests/Interop/
/// test_textarena_sudoku.py plays thousands of random games against TextArena itself.
@Suite struct TextArenaSudokuTests {
    /// TextArena's `game_board` and `full_grid` for `reset(seed=0)`, printed by TextArena 0.7.4.
    static let puzzle0 = [
        [8, 3, 1, 0, 0, 0, 4, 6, 9], [0, 0, 0, 1, 0, 6, 3, 2, 5], [2, 0, 5, 0, 3, 9, 8, 7, 1],
        [3, 8, 0, 6, 4, 0, 9, 5, 2], [5, 0, 2, 3, 9, 7, 0, 0, 8], [0, 9, 4, 0, 5, 8, 7, 1, 3],
        [0, 4, 6, 5, 0, 3, 2, 8, 7], [0, 5, 3, 8, 6, 2, 1, 9, 0], [1, 2, 8, 9, 7, 4, 5, 3, 0],
    ]
    static let solution0 = [
        [8, 3, 1, 7, 2, 5, 4, 6, 9], [4, 7, 9, 1, 8, 6, 3, 2, 5], [2, 6, 5, 4, 3, 9, 8, 7, 1],
        [3, 8, 7, 6, 4, 1, 9, 5, 2], [5, 1, 2, 3, 9, 7, 6, 4, 8], [6, 9, 4, 2, 5, 8, 7, 1, 3],
        [9, 4, 6, 5, 1, 3, 2, 8, 7], [7, 5, 3, 8, 6, 2, 1, 9, 4], [1, 2, 8, 9, 7, 4, 5, 3, 6],
    ]

    private func board(_ state: TextArenaEnvironment.State) -> [[Int]]? {
        guard case .array(let rows)? = state.rawState["game_state"]?["board"] else { return nil }
        return rows.map { row in
            guard case .array(let cells) = row else { return [] }
            return cells.map { if case .int(let v) = $0 { v } else { -1 } }
        }
    }

    private func lastMessage(_ result: StepResult<TextArenaEnvironment.Observation>) -> String {
        let text = result.observation.messages.last?.content ?? ""
        guard let range = text.range(of: "\n[", options: .backwards) else { return text }
        return String(text[range.upperBound...])
    }

    @Test func seedZeroIsTextArenasPuzzleAndTheFirstBoardIsShown() async throws {
        let env = TextArenaEnvironment(game: .sudoku)
        let start = try await env.reset(seed: 0, episodeID: nil, options: [:])
        #expect(board(await env.state) == Self.puzzle0)
        #expect(start.observation.prompt.hasPrefix("[GAME] You are Player 0. You are playing Sudoku.\nHere is the current state of the Sudoku grid."))
        // Three column groups, each label group followed by two spaces; rows stripped; a rule of 16 "- ".
        #expect(start.observation.prompt.hasSuffix("""
            Good luck!


            [GAME] Game Board:
               C1 C2 C3   C4 C5 C6   C7 C8 C9  \n\
            R1  8  3  1 |  .  .  . |  4  6  9
            R2  .  .  . |  1  .  6 |  3  2  5
            R3  2  .  5 |  .  3  9 |  8  7  1
               - - - - - - - - - - - - - - - - \n\
            R4  3  8  . |  6  4  . |  9  5  2
            R5  5  .  2 |  3  9  7 |  .  .  8
            R6  .  9  4 |  .  5  8 |  7  1  3
               - - - - - - - - - - - - - - - - \n\
            R7  .  4  6 |  5  .  3 |  2  8  7
            R8  .  5  3 |  8  6  2 |  1  9  .
            R9  1  2  8 |  9  7  4 |  5  3  .
            """))
        #expect(await env.state.maxTurns == nil && start.reward == .double(0))
    }

    @Test func aRightNumberFillsTheCellAndAWrongOneIsAnsweredThenEndsTheGame() async throws {
        let env = TextArenaEnvironment(game: .sudoku)
        _ = try await env.reset(seed: 0, episodeID: nil, options: [:])
        // R1C4: row 1 lacks 2 5 7, column 4 lacks 2 4 7, box 2 lacks 2 4 5 7 8: 2 or 7; the solution has 7.
        let right = try await env.step(.init(message: "I play [1 4 7]"))
        #expect(lastMessage(right).hasPrefix("GAME] Board state: \n   C1 C2 C3   C4 C5 C6   C7 C8 C9  \nR1  8  3  1 |  7  .  . |  4  6  9\nR2  .  .  . |"))
        #expect(!right.done && right.reward == .double(0) && right.observation.prompt == "Sudoku-v0")
        #expect(board(await env.state)?[0] == [8, 3, 1, 7, 0, 0, 4, 6, 9])
        #expect(await env.state.turn == 1)

        // 8 is in row 1 already: against the rules (TextArena checks the number against its solution).
        let conflict = try await env.step(.init(message: "[1 5 8]"))
        #expect(lastMessage(conflict) == "GAME] You attempted an invalid move. Reason: Invalid move. Player 0 attempted to place 8 at (1, 5), which violates Sudoku rules. Please resubmit a valid move and remember to follow the game rules to avoid penalties.")
        #expect(!conflict.done && conflict.reward == .double(0))
        #expect(await env.state.turn == 1)

        // The second invalid move in a row, a clue overwritten: the game ends paying 1 of the 21 empty cells.
        let end = try await env.step(.init(message: "[1 1 8]"))
        #expect(end.done && end.reward == .double(1.0 / 21.0))
        let state = await env.state
        #expect(state.turn == 2 && state.stepCount == 3)
        #expect(state.rawState["game_info"]?["0"] == .object([
            "role": "Player 0", "invalid_move": true, "turn_count": 2,
            "reason": "Invalid Move: Invalid move. Player 0 attempted to overwrite a pre-filled cell (1, 1).",
        ]))
    }

    @Test func formatAndBoundsAreTextArenas() async throws {
        let env = TextArenaEnvironment(game: .sudoku)
        _ = try await env.reset(seed: 0, episodeID: nil, options: [:])
        let bounds = try await env.step(.init(message: "[010 2 0003]"))  // int("010") is 10
        #expect(lastMessage(bounds).hasPrefix("GAME] You attempted an invalid move. Reason: Invalid move. Player 0 attempted to place 3 at (10, 2), which is out of bounds."))
        _ = try await env.step(.init(message: "[1 4 7]"))
        let format = try await env.step(.init(message: "1  4 7"))  // wrapped, but two spaces
        #expect(lastMessage(format).hasPrefix("GAME] You attempted an invalid move. Reason: Invalid move format. Player 0 did not respond with valid 'row column number'."))

        #expect(Sudoku.parseMove("[05\t3\u{00A0}007]").map { [$0.row.text, $0.col.text, $0.num.text] } == ["5", "3", "7"])
        #expect(Sudoku.parseMove("[\u{0661} \u{0662} \u{0663}]").map { [$0.row.inBounds, $0.col.inBounds, $0.num.inBounds] } == [1, 2, 3])
        #expect(Sudoku.parseMove("[\u{00B2} 1 1] [1 2] [1\u{200B}2 3]") == nil)  // superscript 2 and a zero-width space are no \d, \s
        #expect(Sudoku.parseMove("[9 9 0] [1 4 7]").map { [$0.row.text, $0.col.text, $0.num.text] } == ["9", "9", "0"])
    }

    @Test func theSolvedBoardPaysOne() async throws {
        let env = TextArenaEnvironment(game: .sudoku)
        _ = try await env.reset(seed: 0, episodeID: nil, options: [:])
        let empty = (0..<81).map { ($0 / 9, $0 % 9) }.filter { Self.puzzle0[$0.0][$0.1] == 0 }
        #expect(empty.count == 21)
        var last: StepResult<TextArenaEnvironment.Observation>?
        for (i, (r, c)) in empty.enumerated() {
            last = try await env.step(.init(message: "[\(r + 1) \(c + 1) \(Self.solution0[r][c])]"))
            #expect(last?.done == (i == empty.count - 1))
        }
        #expect(last?.reward == .double(1))
        let state = await env.state
        #expect(board(state) == Self.solution0)
        #expect(state.turn == 21 && state.lastReward == 1)
        #expect(state.rawState["rewards"] == .object(["0": .int(1)]))
        #expect(state.rawState["game_state"]?["completed"] == .bool(true))
        #expect(state.rawState["game_info"]?["0"]?["reason"] == .string("Congratulations! Player 0 completed the Sudoku puzzle."))
    }

    @Test func generatedPuzzlesHaveOneSolutionTheirs() {
        let empty = Array(repeating: Array(repeating: 0, count: 9), count: 9)
        #expect(Sudoku.countSolutions(empty, limit: 2) == 2)
        #expect(Sudoku.countSolutions(Self.solution0) == 1)
        var random = PythonRandom(seed: 0)
        #expect(Sudoku.fullGrid(random: &random) == Self.solution0)
        for seed in 0..<30 {
            var random = PythonRandom(seed: seed)
            let solution = Sudoku.fullGrid(random: &random)
            for i in 0..<9 {
                #expect(Set(solution[i]) == Set(1...9))
                #expect(Set(solution.map { $0[i] }) == Set(1...9))
                #expect(Set((0..<9).map { solution[3 * (i / 3) + $0 / 3][3 * (i % 3) + $0 % 3] }) == Set(1...9))
            }
            let puzzle = Sudoku.removeCells(solution, keeping: 60, random: &random)
            #expect(Sudoku.countSolutions(puzzle) == 1, "seed \(seed)")
            let clues = (0..<81).filter { puzzle[$0 / 9][$0 % 9] != 0 }
            #expect(clues.count >= 60 && clues.allSatisfy { puzzle[$0 / 9][$0 % 9] == solution[$0 / 9][$0 % 9] })
        }
    }
}
