/// A chess move as UCI writes it: from and to squares (0 = a1, 7 = h1, 63 = h8) and the piece
/// a pawn promotes to. Castling is the king's two-square move (`e1g1`), as in standard UCI.
struct ChessMove: Hashable, Sendable {
    var from: Int
    var to: Int
    /// 0, or the kind a pawn becomes (``ChessPosition/knight`` ... ``ChessPosition/queen``).
    var promotion: Int8 = 0

    var uci: String {
        var text = ChessPosition.squareName(from) + ChessPosition.squareName(to)
        if promotion != 0 { text.append(ChessPosition.pieceLetters[Int(promotion)]) }
        return text
    }
}

/// One chess position: the board, the side to move, castling rights, the en-passant square,
/// and the two move counters, with legal-move generation and FEN in both directions.
///
/// Behaves as python-chess's `chess.Board` (standard chess) does, down to the order of
/// `legal_moves` (pieces by from-square from h8 down to a1, each piece's targets likewise;
/// then castling, king side first; then pawn captures, single pushes, double pushes and
/// en passant; in check, king moves first), so a seeded choice over the list picks the same
/// move as `random.Random(seed).choice(list(board.legal_moves))`; the FEN shows the
/// en-passant square only when an en-passant capture is legal (`Board.fen()`).
///
/// A value type: copying a position copies the board. Nothing here allocates beyond the
/// board array and the move lists it returns.
struct ChessPosition: Sendable, Equatable, Hashable {
    static let pawn: Int8 = 1, knight: Int8 = 2, bishop: Int8 = 3, rook: Int8 = 4, queen: Int8 = 5, king: Int8 = 6
    static let pieceLetters: [Character] = [" ", "p", "n", "b", "r", "q", "k"]
    static let startFEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"

    /// Castling rights: which rook corners may still castle.
    struct Castling: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        static let whiteKingSide = Castling(rawValue: 1)   // h1
        static let whiteQueenSide = Castling(rawValue: 2)  // a1
        static let blackKingSide = Castling(rawValue: 4)   // h8
        static let blackQueenSide = Castling(rawValue: 8)  // a8
    }

    /// 64 squares, a1 first; 0 empty, a white piece positive, a black piece negative.
    var board: [Int8]
    var whiteToMove: Bool
    var castling: Castling
    /// Set after every double pawn push, as python-chess does, legal capture or not.
    var epSquare: Int?
    var halfmoveClock: Int
    var fullmoveNumber: Int

    // MARK: squares and masks

    static func squareName(_ square: Int) -> String {
        let files = Array("abcdefgh")
        return "\(files[square & 7])\(square >> 3 + 1)"
    }

    static func square(named name: Substring) -> Int? {
        let scalars = Array(name.unicodeScalars)
        guard scalars.count == 2, ("a"..."h").contains(scalars[0]), ("1"..."8").contains(scalars[1]) else { return nil }
        return Int(scalars[1].value - 49) * 8 + Int(scalars[0].value - 97)
    }

    private static func bit(_ square: Int) -> UInt64 { 1 << UInt64(square) }

    private static func steps(_ deltas: [(Int, Int)]) -> [UInt64] {
        (0..<64).map { square in
            var mask: UInt64 = 0
            for (df, dr) in deltas {
                let file = square & 7 + df, rank = square >> 3 + dr
                if (0..<8).contains(file) && (0..<8).contains(rank) { mask |= bit(rank * 8 + file) }
            }
            return mask
        }
    }

    private static let knightAttacks = steps([(1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2)])
    private static let kingAttacks = steps([(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)])
    /// The squares a pawn of each colour attacks: [white, black].
    private static let pawnAttacks = [steps([(-1, 1), (1, 1)]), steps([(-1, -1), (1, -1)])]
    private static let diagonals = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    private static let orthogonals = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    /// Diagonals first: a slider found along index 0...3 is a bishop's line, 4...7 a rook's.
    private static let lines = diagonals + orthogonals

    private func sliderAttacks(_ square: Int, _ directions: [(Int, Int)]) -> UInt64 {
        var mask: UInt64 = 0
        for (df, dr) in directions {
            var file = square & 7 + df, rank = square >> 3 + dr
            while (0..<8).contains(file) && (0..<8).contains(rank) {
                let target = rank * 8 + file
                mask |= Self.bit(target)
                if board[target] != 0 { break }
                file += df
                rank += dr
            }
        }
        return mask
    }

    /// The squares the (non-pawn) piece on `square` attacks.
    private func attacks(from square: Int) -> UInt64 {
        switch abs(board[square]) {
        case Self.knight: Self.knightAttacks[square]
        case Self.bishop: sliderAttacks(square, Self.diagonals)
        case Self.rook: sliderAttacks(square, Self.orthogonals)
        case Self.queen: sliderAttacks(square, Self.lines)
        case Self.king: Self.kingAttacks[square]
        default: 0
        }
    }

    private func occupancy(white: Bool) -> UInt64 {
        var mask: UInt64 = 0
        for square in 0..<64 where white ? board[square] > 0 : board[square] < 0 { mask |= Self.bit(square) }
        return mask
    }

    /// The pieces of one side that attack `square`.
    func attackers(of square: Int, white: Bool) -> UInt64 {
        let sign: Int8 = white ? 1 : -1
        var mask: UInt64 = 0
        func add(_ targets: UInt64, _ kinds: [Int8]) {
            var rest = targets
            while rest != 0 {
                let s = rest.trailingZeroBitCount
                rest &= rest - 1
                if kinds.contains(board[s] * sign) { mask |= Self.bit(s) }
            }
        }
        add(Self.knightAttacks[square], [Self.knight])
        add(Self.kingAttacks[square], [Self.king])
        add(Self.pawnAttacks[white ? 1 : 0][square], [Self.pawn])
        add(sliderAttacks(square, Self.diagonals), [Self.bishop, Self.queen])
        add(sliderAttacks(square, Self.orthogonals), [Self.rook, Self.queen])
        return mask
    }

    /// Whether a piece of one side attacks `square` (``attackers(of:white:)`` is not empty),
    /// stopping at the first attacker found.
    func isAttacked(_ square: Int, white: Bool) -> Bool {
        let sign: Int8 = white ? 1 : -1
        func any(_ targets: UInt64, _ piece: Int8) -> Bool {
            var rest = targets
            while rest != 0 {
                let s = rest.trailingZeroBitCount
                rest &= rest - 1
                if board[s] == piece { return true }
            }
            return false
        }
        if any(Self.knightAttacks[square], sign * Self.knight) || any(Self.kingAttacks[square], sign * Self.king)
            || any(Self.pawnAttacks[white ? 1 : 0][square], sign * Self.pawn) { return true }
        for (index, (df, dr)) in Self.lines.enumerated() {
            let slider = index < 4 ? sign * Self.bishop : sign * Self.rook
            var file = square & 7 + df, rank = square >> 3 + dr
            while file >= 0 && file < 8 && rank >= 0 && rank < 8 {
                let piece = board[rank * 8 + file]
                if piece != 0 {
                    if piece == slider || piece == sign * Self.queen { return true }
                    break
                }
                file += df
                rank += dr
            }
        }
        return false
    }

    func kingSquare(white: Bool) -> Int? { board.firstIndex(of: white ? Self.king : -Self.king) }

    var isCheck: Bool {
        guard let king = kingSquare(white: whiteToMove) else { return false }
        return isAttacked(king, white: !whiteToMove)
    }

    /// Visits the set squares of `mask` from h8 down to a1 (python-chess's `scan_reversed`).
    private static func descending(_ mask: UInt64, _ body: (Int) -> Void) {
        var rest = mask
        while rest != 0 {
            let square = 63 - rest.leadingZeroBitCount
            rest &= ~bit(square)
            body(square)
        }
    }

    // MARK: move generation

    /// Pseudo-legal moves from the squares of `fromMask` to those of `toMask`, in
    /// python-chess's `generate_pseudo_legal_moves` order.
    private func pseudoLegalMoves(from fromMask: UInt64 = ~0, to toMask: UInt64 = ~0) -> [ChessMove] {
        var moves: [ChessMove] = []
        let us = occupancy(white: whiteToMove), them = occupancy(white: !whiteToMove), occupied = us | them
        let sign: Int8 = whiteToMove ? 1 : -1
        var pawns: UInt64 = 0, kings: UInt64 = 0
        for square in 0..<64 {
            if board[square] == sign * Self.pawn { pawns |= Self.bit(square) }
            if abs(board[square]) == Self.king { kings |= Self.bit(square) }
        }
        Self.descending(us & ~pawns & fromMask) { from in
            Self.descending(attacks(from: from) & ~us & toMask) { moves.append(ChessMove(from: from, to: $0)) }
        }
        if fromMask & kings != 0 { moves += castlingMoves(toMask: toMask) }
        let ourPawns = pawns & fromMask
        guard ourPawns != 0 else { return moves }
        func addPawnMove(_ from: Int, _ to: Int) {
            if to >> 3 == 0 || to >> 3 == 7 {
                for kind in [Self.queen, Self.rook, Self.bishop, Self.knight] { moves.append(ChessMove(from: from, to: to, promotion: kind)) }
            } else {
                moves.append(ChessMove(from: from, to: to))
            }
        }
        Self.descending(ourPawns) { from in
            Self.descending(Self.pawnAttacks[whiteToMove ? 0 : 1][from] & them & toMask) { addPawnMove(from, $0) }
        }
        var single: UInt64, double: UInt64
        if whiteToMove {
            single = ourPawns << 8 & ~occupied
            double = single << 8 & ~occupied & 0x0000_0000_FFFF_0000  // ranks 3 and 4
        } else {
            single = ourPawns >> 8 & ~occupied
            double = single >> 8 & ~occupied & 0x0000_FFFF_0000_0000  // ranks 6 and 5
        }
        single &= toMask
        double &= toMask
        let forward = whiteToMove ? 8 : -8
        Self.descending(single) { addPawnMove($0 - forward, $0) }
        Self.descending(double) { moves.append(ChessMove(from: $0 - 2 * forward, to: $0)) }
        moves += enPassantMoves(from: fromMask, to: toMask)
        return moves
    }

    /// python-chess's `generate_pseudo_legal_ep`.
    private func enPassantMoves(from fromMask: UInt64 = ~0, to toMask: UInt64 = ~0) -> [ChessMove] {
        guard let ep = epSquare, Self.bit(ep) & toMask != 0, board[ep] == 0 else { return [] }
        let sign: Int8 = whiteToMove ? 1 : -1
        let rank = whiteToMove ? 4 : 3
        var moves: [ChessMove] = []
        Self.descending(Self.pawnAttacks[whiteToMove ? 1 : 0][ep] & fromMask) { from in
            if board[from] == sign * Self.pawn && from >> 3 == rank { moves.append(ChessMove(from: from, to: ep)) }
        }
        return moves
    }

    /// Castling, king side first, as `generate_castling_moves` checks it: the king on its
    /// e-square, the squares between king and rook empty, and the king's square, the square
    /// it crosses and the one it lands on not attacked.
    private func castlingMoves(toMask: UInt64) -> [ChessMove] {
        let white = whiteToMove
        let base = white ? 0 : 56
        let sign: Int8 = white ? 1 : -1
        guard board[base + 4] == sign * Self.king else { return [] }
        let enemy = !white
        var moves: [ChessMove] = []
        let sides: [(right: Castling, rook: Int, empty: [Int], safe: [Int], kingTo: Int)] = [
            (white ? .whiteKingSide : .blackKingSide, base + 7, [base + 5, base + 6], [base + 4, base + 5, base + 6], base + 6),
            (white ? .whiteQueenSide : .blackQueenSide, base, [base + 1, base + 2, base + 3], [base + 4, base + 3, base + 2], base + 2),
        ]
        for side in sides where castling.contains(side.right) && Self.bit(side.rook) & toMask != 0 {
            guard board[side.rook] == sign * Self.rook, side.empty.allSatisfy({ board[$0] == 0 }),
                  side.safe.allSatisfy({ !isAttacked($0, white: enemy) }) else { continue }
            moves.append(ChessMove(from: base + 4, to: side.kingTo))
        }
        return moves
    }

    /// The position after `move`, which must be pseudo-legal here (`Board.push`).
    func playing(_ move: ChessMove) -> ChessPosition {
        var next = self
        let piece = board[move.from]
        let captured = board[move.to]
        let kind = abs(piece)
        next.epSquare = nil
        next.halfmoveClock = kind == Self.pawn || captured != 0 ? 0 : halfmoveClock + 1
        if !whiteToMove { next.fullmoveNumber += 1 }
        for (corner, right) in [(0, Castling.whiteQueenSide), (7, .whiteKingSide), (56, .blackQueenSide), (63, .blackKingSide)]
        where move.from == corner || move.to == corner {
            next.castling.remove(right)
        }
        next.board[move.from] = 0
        next.board[move.to] = piece
        if kind == Self.king {
            next.castling.subtract(whiteToMove ? [.whiteKingSide, .whiteQueenSide] : [.blackKingSide, .blackQueenSide])
            if move.to - move.from == 2 {
                next.board[move.from + 3] = 0
                next.board[move.from + 1] = piece.signum() * Self.rook
            } else if move.from - move.to == 2 {
                next.board[move.from - 4] = 0
                next.board[move.from - 1] = piece.signum() * Self.rook
            }
        }
        if kind == Self.pawn {
            let diff = move.to - move.from
            if abs(diff) == 16 {
                next.epSquare = move.from + diff / 2
            } else if move.to == epSquare && captured == 0 && abs(diff) != 8 {
                next.board[move.to - (whiteToMove ? 8 : -8)] = 0
            }
            if move.promotion != 0 { next.board[move.to] = piece.signum() * move.promotion }
        }
        next.whiteToMove.toggle()
        return next
    }

    /// Whether `move` (pseudo-legal) leaves the mover's king unattacked.
    private func isSafe(_ move: ChessMove) -> Bool {
        let next = playing(move)
        guard let king = next.kingSquare(white: whiteToMove) else { return true }
        return !next.isAttacked(king, white: !whiteToMove)
    }

    /// The legal moves, in python-chess's `legal_moves` order.
    var legalMoves: [ChessMove] {
        guard let king = kingSquare(white: whiteToMove) else { return pseudoLegalMoves() }
        let checkers = attackers(of: king, white: !whiteToMove)
        guard checkers != 0 else { return pseudoLegalMoves().filter(isSafe) }
        return evasions(king: king, checkers: checkers).filter(isSafe)
    }

    /// python-chess's `_generate_evasions`: king moves, then (against a single checker)
    /// captures and blocks, then en passant of a checking pawn.
    private func evasions(king: Int, checkers: UInt64) -> [ChessMove] {
        var moves: [ChessMove] = []
        let us = occupancy(white: whiteToMove)
        Self.descending(Self.kingAttacks[king] & ~us) { moves.append(ChessMove(from: king, to: $0)) }
        let checker = 63 - checkers.leadingZeroBitCount
        guard Self.bit(checker) == checkers else { return moves }
        let target = Self.between(king, checker) | checkers
        var kings: UInt64 = 0
        for square in 0..<64 where abs(board[square]) == Self.king { kings |= Self.bit(square) }
        moves += pseudoLegalMoves(from: ~kings, to: target)
        if let ep = epSquare, Self.bit(ep) & target == 0, ep + (whiteToMove ? -8 : 8) == checker {
            moves += enPassantMoves()
        }
        return moves
    }

    /// The squares strictly between two squares on a line (empty when not on one).
    private static func between(_ a: Int, _ b: Int) -> UInt64 {
        let df = (b & 7 - a & 7).signum(), dr = (b >> 3 - a >> 3).signum()
        let fileDistance = abs(b & 7 - a & 7), rankDistance = abs(b >> 3 - a >> 3)
        guard fileDistance == 0 || rankDistance == 0 || fileDistance == rankDistance else { return 0 }
        var mask: UInt64 = 0
        var square = a + df + 8 * dr
        while square != b {
            mask |= bit(square)
            square += df + 8 * dr
        }
        return mask
    }

    /// The en-passant square when an en-passant capture is legal (`has_legal_en_passant`).
    var legalEnPassantSquare: Int? {
        enPassantMoves().contains(where: isSafe) ? epSquare : nil
    }

    /// python-chess's `is_insufficient_material`: neither side has mating material.
    var isInsufficientMaterial: Bool { hasInsufficientMaterial(white: true) && hasInsufficientMaterial(white: false) }

    private func hasInsufficientMaterial(white: Bool) -> Bool {
        let ours = board.filter { white ? $0 > 0 : $0 < 0 }.map { abs($0) }
        let theirs = board.filter { white ? $0 < 0 : $0 > 0 }.map { abs($0) }
        if ours.contains(where: { [Self.pawn, Self.rook, Self.queen].contains($0) }) { return false }
        if ours.contains(Self.knight) {
            return ours.count <= 2 && !theirs.contains(where: { $0 != Self.king && $0 != Self.queen })
        }
        if ours.contains(Self.bishop) {
            var onDark = false, onLight = false
            for square in 0..<64 where abs(board[square]) == Self.bishop {
                if (square >> 3 + square & 7) % 2 == 0 { onDark = true } else { onLight = true }
            }
            let kinds = board.map { abs($0) }
            return !(onDark && onLight) && !kinds.contains(Self.pawn) && !kinds.contains(Self.knight)
        }
        return true
    }

    // MARK: FEN

    /// `Board.fen()`.
    var fen: String {
        var rows: [String] = []
        for rank in stride(from: 7, through: 0, by: -1) {
            var row = "", empty = 0
            for file in 0..<8 {
                let piece = board[rank * 8 + file]
                if piece == 0 { empty += 1; continue }
                if empty > 0 { row += "\(empty)"; empty = 0 }
                let letter = Self.pieceLetters[Int(abs(piece))]
                row.append(piece > 0 ? Character(letter.uppercased()) : letter)
            }
            if empty > 0 { row += "\(empty)" }
            rows.append(row)
        }
        var rights = ""
        if castling.contains(.whiteKingSide) { rights += "K" }
        if castling.contains(.whiteQueenSide) { rights += "Q" }
        if castling.contains(.blackKingSide) { rights += "k" }
        if castling.contains(.blackQueenSide) { rights += "q" }
        let ep = legalEnPassantSquare.map(Self.squareName) ?? "-"
        return "\(rows.joined(separator: "/")) \(whiteToMove ? "w" : "b") \(rights.isEmpty ? "-" : rights) \(ep) \(halfmoveClock) \(fullmoveNumber)"
    }

    /// Reads a FEN (the counters may be left out: 0 and 1). Castling rights are cleaned as
    /// python-chess does: a right needs its rook on the corner and the king on its e-square.
    /// - Throws: ``ChessError`` naming what is malformed, or a side without exactly one king.
    init(fen: String) throws(ChessError) {
        let fields = fen.split(separator: " ", omittingEmptySubsequences: true)
        guard (4...6).contains(fields.count) else { throw ChessError("FEN needs 4 to 6 fields: '\(fen)'") }
        let rows = fields[0].split(separator: "/", omittingEmptySubsequences: false)
        guard rows.count == 8 else { throw ChessError("FEN board needs 8 ranks: '\(fields[0])'") }
        board = Array(repeating: 0, count: 64)
        for (index, row) in rows.enumerated() {
            let rank = 7 - index
            var file = 0
            for character in row {
                if let digit = character.wholeNumberValue, (1...8).contains(digit) {
                    file += digit
                } else if let kind = Self.pieceLetters.firstIndex(of: Character(character.lowercased())), kind > 0, file < 8 {
                    board[rank * 8 + file] = Int8(kind) * (character.isUppercase ? 1 : -1)
                    file += 1
                } else {
                    throw ChessError("FEN rank '\(row)' is malformed")
                }
            }
            guard file == 8 else { throw ChessError("FEN rank '\(row)' does not have 8 squares") }
        }
        guard board.filter({ $0 == Self.king }).count == 1, board.filter({ $0 == -Self.king }).count == 1 else {
            throw ChessError("FEN must have exactly one king of each colour")
        }
        switch fields[1] {
        case "w": whiteToMove = true
        case "b": whiteToMove = false
        default: throw ChessError("FEN side to move must be w or b, not '\(fields[1])'")
        }
        castling = []
        if fields[2] != "-" {
            for character in fields[2] {
                switch character {
                case "K": castling.insert(.whiteKingSide)
                case "Q": castling.insert(.whiteQueenSide)
                case "k": castling.insert(.blackKingSide)
                case "q": castling.insert(.blackQueenSide)
                default: throw ChessError("FEN castling rights '\(fields[2])' are malformed")
                }
            }
        }
        for (right, rook, king) in [(Castling.whiteKingSide, 7, 4), (.whiteQueenSide, 0, 4), (.blackKingSide, 63, 60), (.blackQueenSide, 56, 60)] {
            let sign: Int8 = rook < 8 ? 1 : -1
            if board[rook] != sign * Self.rook || board[king] != sign * Self.king { castling.remove(right) }
        }
        if fields[3] == "-" {
            epSquare = nil
        } else {
            guard let square = Self.square(named: fields[3]) else { throw ChessError("FEN en-passant square '\(fields[3])' is malformed") }
            epSquare = square
        }
        guard let halfmove = fields.count > 4 ? Int(fields[4]) : 0, halfmove >= 0,
              let fullmove = fields.count > 5 ? Int(fields[5]) : 1, fullmove >= 0 else {
            throw ChessError("FEN move counters must be non-negative integers")
        }
        halfmoveClock = halfmove
        fullmoveNumber = max(fullmove, 1)
    }

    /// The UCI text of a legal move, or nil.
    func legalMove(uci: String) -> ChessMove? { legalMoves.first { $0.uci == uci } }
}

/// A malformed FEN or an option chess does not have.
public struct ChessError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
