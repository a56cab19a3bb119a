/// The bearer tokens a server accepts (`openenv serve --auth-token-file`), each with a name
/// and an optional limit of concurrent sessions.
///
/// The text form has one token per line:
///
/// ```text
/// # comments and blank lines are ignored
/// 3f1c9a…                                  a bare token: named "token-2", no own limit
/// 7d2e0b…  name=trainer-a  max_sessions=64
/// ```
///
/// A token is any run of printable ASCII without spaces. `name=` is what logs and metrics
/// show instead of the token (letters, digits, `-`, `_`, `.`; at most 64 characters), and
/// `max_sessions=` caps the sessions opened with that token at once, within the server's own
/// `--max-sessions`.
///
/// Tokens are compared in constant time (``principal(presenting:)``), and no description,
/// error or log line made here contains one.
public struct AccessTokens: Sendable, Equatable {
    /// One accepted token.
    struct Entry: Sendable, Equatable {
        var secret: [UInt8]
        var principal: AccessPrincipal
    }

    let entries: [Entry]

    /// Parses the text form; throws ``AccessTokensError`` naming the line (never its token).
    public init(parsing text: String) throws(AccessTokensError) {
        var entries: [Entry] = []
        var names: Set<String> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let token = fields.first else { continue }
            guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw AccessTokensError(line: lineNumber, reason: "the token holds a character outside printable ASCII")
            }
            var name = "token-\(lineNumber)"
            var limit: Int?
            for field in fields.dropFirst() {
                let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw AccessTokensError(line: lineNumber, reason: "expected name=… or max_sessions=… after the token") }
                switch parts[0] {
                case "name":
                    guard !parts[1].isEmpty, parts[1].count <= 64,
                        parts[1].utf8.allSatisfy({ Self.isNameByte($0) })
                    else { throw AccessTokensError(line: lineNumber, reason: "a name is 1 to 64 letters, digits, '-', '_' or '.'") }
                    name = String(parts[1])
                case "max_sessions":
                    guard let value = Int(parts[1]), value >= 1 else {
                        throw AccessTokensError(line: lineNumber, reason: "max_sessions must be a whole number of at least 1")
                    }
                    limit = value
                default:
                    throw AccessTokensError(line: lineNumber, reason: "unknown field '\(parts[0])' (expected name or max_sessions)")
                }
            }
            let secret = Array(token.utf8)
            if entries.contains(where: { $0.secret == secret }) {
                throw AccessTokensError(line: lineNumber, reason: "the same token appears on an earlier line")
            }
            guard names.insert(name).inserted else { throw AccessTokensError(line: lineNumber, reason: "the name '\(name)' is used twice") }
            entries.append(Entry(secret: secret, principal: AccessPrincipal(name: name, maxSessions: limit)))
        }
        guard !entries.isEmpty else { throw AccessTokensError(line: 0, reason: "no token found") }
        self.entries = entries
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// The names of the tokens, in file order (for start-up messages; never the tokens).
    public var names: [String] { entries.map(\.principal.name) }

    /// Who presents `token`, or `nil`. Every entry is compared, each in time that depends
    /// on the presented token's length only, so the timing tells nothing of the secrets.
    func principal(presenting token: some Collection<UInt8>) -> AccessPrincipal? {
        let presented = Array(token)
        var found: AccessPrincipal?
        for entry in entries {
            if Self.constantTimeEquals(presented, entry.secret) { found = entry.principal }
        }
        return found
    }

    /// Whether `presented` equals `secret`, reading every byte of `presented` and the same
    /// pattern of `secret` whatever they hold (no early exit on a mismatch or a length
    /// difference).
    static func constantTimeEquals(_ presented: [UInt8], _ secret: [UInt8]) -> Bool {
        guard !secret.isEmpty else { return false }
        var difference = UInt64(truncatingIfNeeded: presented.count ^ secret.count)
        for index in presented.indices {
            difference |= UInt64(presented[index] ^ secret[index % secret.count])
        }
        return difference == 0
    }

    /// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
    static func bearerToken(in header: Substring) -> Substring? {
        var value = header.drop(while: { $0 == " " })
        guard value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
        value = value.dropFirst(7).drop(while: { $0 == " " })
        while value.last == " " { value = value.dropLast() }
        return value.isEmpty ? nil : value
    }
}

/// Who a request was authenticated as: a token's name and its own session limit.
public struct AccessPrincipal: Sendable, Hashable {
    /// The token's name from the token file (shown in logs and metrics instead of the token).
    public var name: String
    /// Sessions this token may hold open at once; `nil`: only the server's limit applies.
    public var maxSessions: Int?

    public init(name: String, maxSessions: Int? = nil) {
        self.name = name
        self.maxSessions = maxSessions
    }
}

/// A token file that cannot be used; says which line and why, never the token.
public struct AccessTokensError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public var description: String { line > 0 ? "token file, line \(line): \(reason)" : "token file: \(reason)" }
}
