/// The reward the reference `coding_env` gives a step outside task mode, reproduced from the
/// behaviour of its transforms (upstream `envs/coding_env/server/transforms.py`: a safety
/// transform, then a quality transform):
///
/// - safety: -1.0 when the code matches one of the dangerous patterns (Python `re.search`,
///   first match in the order below, reported as `safety_violation`), else 0.0;
/// - quality, added to it: +0.1 when the code, stripped of whitespace, is at most 100
///   characters long, and -0.2 when it does not parse (`ast.parse` raises `SyntaxError`).
///
/// So `print(1)` earns 0.1, a short syntax error -0.1, a short `import os` -0.9 and a long
/// clean program 0.0; a reset earns 0.0. The reward looks at the code only, never at what
/// running it did. The sums are formed in the reference's order (quality first, then
/// added to safety), so the floating-point values are identical too.
enum CodeShapingReward {
    /// A dangerous pattern: `import\s+<module>`, or a literal text.
    enum Pattern: Sendable {
        case importOf(String)
        case literal(String)

        /// The reference's name for it: its regular-expression source.
        var name: String {
            switch self {
            case .importOf(let module): #"import\s+"# + module
            case .literal(let text): text.split(separator: "(", omittingEmptySubsequences: false).joined(separator: #"\("#)
            }
        }

        func matches(_ scalars: [Unicode.Scalar]) -> Bool {
            switch self {
            case .importOf(let module): CodeShapingReward.importFollowedBy(module, in: scalars)
            case .literal(let text): CodeShapingReward.index(of: Array(text.unicodeScalars), in: scalars, from: 0) != nil
            }
        }
    }

    /// The reference's patterns, in its order (the first that matches is reported).
    static let patterns: [Pattern] = [
        .importOf("os"), .importOf("subprocess"), .literal("eval("), .literal("exec("), .literal("__import__"),
        .literal("open("),
    ]
    static let penalty = -1.0
    static let conciseBonus = 0.1
    static let conciseLimit = 100
    static let syntaxPenalty = -0.2

    /// The name of the first dangerous pattern the code contains.
    static func safetyViolation(in code: String) -> String? {
        let scalars = Array(code.unicodeScalars)
        return patterns.first { $0.matches(scalars) }?.name
    }

    static func reward(code: String, syntaxError: Bool) -> Double {
        let safety = safetyViolation(in: code) == nil ? 0.0 : penalty
        var quality = 0.0
        if strippedLength(code) <= conciseLimit { quality += conciseBonus }
        if syntaxError { quality += syntaxPenalty }
        return safety + quality
    }

    /// `len(code.strip())` in Python: code points, without leading and trailing whitespace.
    static func strippedLength(_ code: String) -> Int {
        let scalars = Array(code.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }),
              let last = scalars.lastIndex(where: { !isPythonSpace($0) }) else { return 0 }
        return last - first + 1
    }

    /// Python's `str.isspace()` for one code point, which is also what `\s` matches in a
    /// `str` pattern: bidirectional class WS, B or S, or general category Zs.
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// `import\s+<name>`: "import", at least one whitespace code point, then `name`.
    fileprivate static func importFollowedBy(_ name: String, in scalars: [Unicode.Scalar]) -> Bool {
        let keyword = Array("import".unicodeScalars)
        let target = Array(name.unicodeScalars)
        var start = 0
        while let found = index(of: keyword, in: scalars, from: start) {
            var i = found + keyword.count
            let spaces = i
            while i < scalars.count, isPythonSpace(scalars[i]) { i += 1 }
            if i > spaces, scalars[i...].starts(with: target) { return true }
            start = found + 1
        }
        return false
    }

    fileprivate static func index(of needle: [Unicode.Scalar], in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard needle.count <= scalars.count else { return nil }
        var i = start
        while i + needle.count <= scalars.count {
            if scalars[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
