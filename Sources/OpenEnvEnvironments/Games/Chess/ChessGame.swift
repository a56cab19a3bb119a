/// A game of chess from a starting position: the moves played and the positions they led
/// to, with the end conditions python-chess reports (`is_checkmate`, `is_stalemate`,
/// `is_insufficient_material`, `is_fifty_moves`, `is_repetition(3)`).
///
/// Repetition is counted as `Board.is_repetition` counts it: positions are equal when the
/// pieces, the side to move, the castling rights and the en-passant square (only where an
/// en-passant capture is legal) are; the search goes back only to the last irreversible move
/// (a capture, a pawn move, a move that loses castling rights, or any move from a position
/// with a legal en-passant capture), and the current position must occur `count` times.
struct ChessGame: Sendable {
    private struct Key: Hashable, Sendable {
        var board: [Int8]
        var whiteToMove: Bool
        var castling: ChessPosition.Castling
        var enPassant: Int?
    }

    private(set) var position: ChessPosition
    private(set) var moves: [ChessMove] = []
    /// The key of every position so far, the starting one first.
    private var keys: [Key]
    /// For each move, whether it was irreversible (index i is the move to `keys[i + 1]`).
    private var irreversible: [Bool] = []
    /// The legal moves of `position`, computed once.
    private(set) var legalMoves: [ChessMove]

    init(_ position: ChessPosition = try! ChessPosition(fen: ChessPosition.startFEN)) {
        self.position = position
        keys = [Self.key(position)]
        legalMoves = position.legalMoves
    }

    private static func key(_ position: ChessPosition) -> Key {
        Key(board: position.board, whiteToMove: position.whiteToMove, castling: position.castling, enPassant: position.legalEnPassantSquare)
    }

    /// Plays a legal move of the side to move.
    mutating func play(_ move: ChessMove) {
        let before = position
        let after = before.playing(move)
        let zeroing = abs(before.board[move.from]) == ChessPosition.pawn || before.board[move.to] != 0
        irreversible.append(zeroing || after.castling != before.castling || before.legalEnPassantSquare != nil)
        moves.append(move)
        position = after
        keys.append(Self.key(after))
        legalMoves = after.legalMoves
    }

    var isCheckmate: Bool { legalMoves.isEmpty && position.isCheck }
    var isStalemate: Bool { legalMoves.isEmpty && !position.isCheck }
    var isInsufficientMaterial: Bool { position.isInsufficientMaterial }
    /// `is_fifty_moves`: a hundred half-moves without a capture or pawn move, and a move left.
    var isFiftyMoves: Bool { position.halfmoveClock >= 100 && !legalMoves.isEmpty }

    /// `is_repetition(count)`.
    func isRepetition(_ count: Int = 3) -> Bool {
        var remaining = count
        var index = keys.count - 1
        let current = keys[index]
        while true {
            if remaining <= 1 { return true }
            if index < remaining - 1 { return false }
            if irreversible[index - 1] { return false }
            index -= 1
            if keys[index] == current { remaining -= 1 }
        }
    }
}
