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
