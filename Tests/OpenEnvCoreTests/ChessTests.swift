import Testing
@testable import OpenEnvCore
@testable import OpenEnvEnvironments

/// Chess move generation and end conditions. Perft counts are the published ones of the
/// chess programming wiki's "Perft Results" page (also what python-chess counts); move lists,
/// orders and FENs were printed by python-chess 1.11.2. Tests/Interop/test_chess.py replays
/// thousands of random games against python-chess itself.
@Suite struct ChessTests {
    private func perft(_ position: ChessPosition, _ depth: Int) -> Int {
        let moves = position.legalMoves
        if depth == 1 { return moves.count }
        return moves.reduce(0) { $0 + perft(position.playing($1), depth - 1) }
    }

    /// (FEN, depth, nodes): the initial position, Kiwipete and positions 3 to 6, at depths a
    /// debug build counts in seconds.
    @Test(arguments: [
        ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", [20, 400, 8_902, 197_281]),
        ("r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1", [48, 2_039, 97_862]),
        ("8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1", [14, 191, 2_812, 43_238]),
        ("r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1", [6, 264, 9_467]),
        ("r2q1rk1/pP1p2pp/Q4n2/bbp1p3/Np6/1B3NBn/pPPP1PPP/R3K2R b KQ - 0 1", [6, 264, 9_467]),
        ("rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8", [44, 1_486, 62_379]),
        ("r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10", [46, 2_079, 89_890]),
    ])
    func perftCountsMatchThePublishedTables(fen: String, counts: [Int]) throws {
        let position = try ChessPosition(fen: fen)
        for (index, count) in counts.enumerated() {
            #expect(perft(position, index + 1) == count, "\(fen) depth \(index + 1)")
        }
    }

    @Test func legalMovesComeInPythonChessOrder() throws {
        let start = try ChessPosition(fen: ChessPosition.startFEN)
        #expect(start.legalMoves.map(\.uci) == [
            "g1h3", "g1f3", "b1c3", "b1a3", "h2h3", "g2g3", "f2f3", "e2e3", "d2d3", "c2c3", "b2b3", "a2a3",
            "h2h4", "g2g4", "f2f4", "e2e4", "d2d4", "c2c4", "b2b4", "a2a4",
        ])
        let kiwipete = try ChessPosition(fen: "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1")
        #expect(kiwipete.legalMoves.prefix(12).map(\.uci) == [
            "e5f7", "e5d7", "e5g6", "e5c6", "e5g4", "e5c4", "e5d3", "f3f6", "f3h5", "f3f5", "f3g4", "f3f4",
        ])
        // In check, king moves come first.
        #expect(try ChessPosition(fen: "4k3/8/8/8/8/8/3q4/R3K2R w KQ - 0 1").legalMoves.map(\.uci) == ["e1d2", "e1f1"])
    }

    @Test func theFENShowsTheEnPassantSquareOnlyWhenTheCaptureIsLegal() throws {
        var game = ChessGame()
        for uci in ["e2e4", "e7e6", "e4e5"] { game.play(try #require(game.position.legalMove(uci: uci))) }
        #expect(game.position.fen == "rnbqkbnr/pppp1ppp/4p3/4P3/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 2")
        game.play(try #require(game.position.legalMove(uci: "d7d5")))
        #expect(game.position.fen == "rnbqkbnr/ppp2ppp/4p3/3pP3/8/8/PPPP1PPP/RNBQKBNR w KQkq d6 0 3")
        #expect(game.legalMoves.last?.uci == "e5d6")
    }

    @Test func seededOpponentMovesMatchCPythonsChoiceOverLegalMoves() throws {
        // random.Random(7).choice(list(board.legal_moves)), six half-moves, by python-chess.
        var random = PythonRandom(seed: 7)
        var game = ChessGame()
        var played: [String] = []
        for _ in 0..<6 {
            let move = game.legalMoves[random.randbelow(game.legalMoves.count)]
            played.append(move.uci)
            game.play(move)
        }
        #expect(played == ["b2b3", "h7h6", "c2c3", "g8f6", "d1c2", "g7g5"])
        #expect(game.position.fen == "rnbqkb1r/pppppp2/5n1p/6p1/8/1PP5/P1QPPPPP/RNB1KBNR w KQkq - 0 4")
    }

    @Test func foolsMateIsCheckmateAndAStalemateIsNot() throws {
        var game = ChessGame()
        for uci in ["f2f3", "e7e5", "g2g4", "d8h4"] { game.play(try #require(game.position.legalMove(uci: uci))) }
        #expect(game.isCheckmate && !game.isStalemate && game.position.isCheck)
        let stalemate = ChessGame(try ChessPosition(fen: "7k/5Q2/6K1/8/8/8/8/8 b - - 0 1"))
        #expect(stalemate.isStalemate && !stalemate.isCheckmate)
    }

    @Test func knightShufflesRepeatThePositionThreeTimes() throws {
        var game = ChessGame()
        let shuffle = ["g1f3", "g8f6", "f3g1", "f6g8"]
        for uci in shuffle { game.play(try #require(game.position.legalMove(uci: uci))) }
        #expect(!game.isRepetition(3))  // the start position, twice
        for uci in shuffle { game.play(try #require(game.position.legalMove(uci: uci))) }
        #expect(game.isRepetition(3))
    }

    @Test func insufficientMaterialFollowsPythonChess() throws {
        let cases: [(String, Bool)] = [
            ("8/8/8/4k3/8/8/8/4K3 w - - 0 1", true),     // kings only
            ("8/8/8/4k3/8/8/8/4KN2 w - - 0 1", true),    // a knight
            ("8/8/8/4k3/8/8/8/3NKN2 w - - 0 1", false),  // two knights
            ("8/8/8/4k3/8/8/8/2B1KB2 w - - 0 1", false), // bishops on both colours
            ("8/8/8/4k3/8/8/8/2B1K1B1 w - - 0 1", true), // bishops on one colour
            ("8/8/8/4kb2/8/8/8/4KN2 w - - 0 1", false),  // knight against bishop (selfmate possible)
            ("8/8/8/4k3/8/8/8/4K2R w - - 0 1", false),   // a rook
        ]
        for (fen, insufficient) in cases {
            #expect(try ChessPosition(fen: fen).isInsufficientMaterial == insufficient, "\(fen)")
        }
    }

    @Test func anIllegalMovePaysMinusOneTenthAndChangesNothing() async throws {
        let env = ChessEnvironment(configuration: .init(opponent: .none))
        let start = try await env.reset(seed: 1, episodeID: nil, options: [:])
        #expect(start.observation.fen == ChessPosition.startFEN && start.observation.legalMoves.count == 20)
        for bad in ["e2e5", "e7e5", "0000", "E2E4", "e1g1", "nonsense"] {
            let result = try await env.step(.init(move: bad))
            #expect(result.reward == .double(-0.1) && !result.done && result.observation.fen == ChessPosition.startFEN)
        }
        #expect(await env.state.stepCount == 0)
    }

    @Test func aCheckmatePaysTheWinnerAndNamesTheResult() async throws {
        let env = ChessEnvironment(configuration: .init(opponent: .none))
        _ = try await env.reset(seed: 1, episodeID: nil, options: [:])
        var last: StepResult<ChessEnvironment.Observation>?
        for uci in ["f2f3", "e7e5", "g2g4", "d8h4"] { last = try await env.step(.init(move: uci)) }
        let result = try #require(last)
        #expect(result.done && result.reward == .double(-1) && result.observation.result == "0-1" && result.observation.legalMoves.isEmpty)
        #expect(await env.state.moveHistory == ["f2f3", "e7e5", "g2g4", "d8h4"])
    }

    @Test func badFENsAreRefused() {
        for fen in ["", "8/8/8/8/8/8/8/8 w - - 0 1", "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR x KQkq - 0 1", "rnbqkbnr/ppppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"] {
            #expect(throws: ChessError.self) { try ChessPosition(fen: fen) }
        }
    }
}
