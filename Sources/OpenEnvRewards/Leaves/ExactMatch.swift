/// 1 when the agent's answer equals one of the expected answers after normalization,
/// else 0.
///
/// ```swift
/// ExactMatch<QAAction, QATask>(answer: \.answer, expected: { [$0.answer] + $0.aliases })
/// ```
public struct ExactMatch<Action: Sendable, Observation: Sendable>: Rubric {
    public let normalization: TextNormalization
    private let answer: @Sendable (Action) -> String
    private let expected: @Sendable (Observation) -> [String]

    public init(
        normalization: TextNormalization = .standard, answer: @escaping @Sendable (Action) -> String,
        expected: @escaping @Sendable (Observation) -> [String]
    ) {
        self.normalization = normalization
        self.answer = answer
        self.expected = expected
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let given = normalize(answer(action))
        return RubricScore(expected(observation).contains { normalize($0) == given } ? 1 : 0)
    }

    func normalize(_ text: String) -> String {
        var text = Substring(text)
        if normalization.contains(.trimWhitespace) || normalization.contains(.stripPunctuation) {
            text = text.trimmingWhitespace()
        }
        while normalization.contains(.stripPunctuation) {
            if let last = text.last, ".!?".contains(last) {
                text = text.dropLast().trimmingWhitespace()
            } else if let first = text.first, text.count >= 2, first == text.last, "\"'`".contains(first) {
                text = text.dropFirst().dropLast().trimmingWhitespace()
            } else {
                break
            }
        }
        var result = String(text)
        if normalization.contains(.collapseWhitespace) {
            result = result.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        if normalization.contains(.caseInsensitive) { result = result.lowercased() }
        return result
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}

/// How ``ExactMatch`` normalizes both sides before comparing.
public struct TextNormalization: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Leading and trailing whitespace is dropped.
    public static let trimWhitespace = TextNormalization(rawValue: 1)
    /// Letters compare case-insensitively.
    public static let caseInsensitive = TextNormalization(rawValue: 2)
    /// Runs of whitespace count as one space (implies trimming).
    public static let collapseWhitespace = TextNormalization(rawValue: 4)
    /// Trailing `.`, `!`, `?` and surrounding quotes are dropped, repeatedly (`"Paris."` = `Paris`).
    public static let stripPunctuation = TextNormalization(rawValue: 8)
    public static let standard: TextNormalization = [.trimWhitespace, .caseInsensitive, .collapseWhitespace, .stripPunctuation]
}
