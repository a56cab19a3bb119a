/// 1 when the number in the agent's answer is within tolerance of the expected number,
/// else 0: arithmetic and word problems.
///
/// The agent's number is the last number in its answer (`"so it is 1,250 apples"` →
/// 1250; thousands separators and a leading `$` are accepted), or the whole answer with
/// ``Extraction/wholeAnswer``. An answer without a number scores 0 (the agent's
/// failure); an expected value that is not a number throws (the task's failure).
/// Tolerance: `|given - expected| <= max(absolute, relative · |expected|)`.
public struct NumericMatch<Action: Sendable, Observation: Sendable>: Rubric {
    public enum Extraction: Sendable {
        case lastNumber
        case wholeAnswer
    }

    /// The expected answer is not a number.
    public struct ReferenceError: Error, Sendable, CustomStringConvertible {
        public var reference: String
        public var description: String { "expected answer '\(reference)' is not a number" }
    }

    public let absoluteTolerance: Double
    public let relativeTolerance: Double
    public let extraction: Extraction
    private let answer: @Sendable (Action) -> String
    private let expected: @Sendable (Observation) -> String

    public init(
        absoluteTolerance: Double = 1e-6, relativeTolerance: Double = 0, extraction: Extraction = .lastNumber,
        answer: @escaping @Sendable (Action) -> String, expected: @escaping @Sendable (Observation) -> String
    ) {
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
        self.extraction = extraction
        self.answer = answer
        self.expected = expected
    }

    public func score(_ action: Action, _ observation: Observation) async throws -> RubricScore {
        let reference = expected(observation)
        guard let target = Self.number(in: Substring(reference).trimmingWhitespace()) else { throw ReferenceError(reference: reference) }
        let text = answer(action)
        let given: Double?
        switch extraction {
        case .wholeAnswer: given = Self.number(in: Substring(text).trimmingWhitespace())
        case .lastNumber: given = Self.numbers(in: text).last
        }
        guard let given else { return RubricScore(0) }
        let tolerance = max(absoluteTolerance, relativeTolerance * abs(target))
        return RubricScore(abs(given - target) <= tolerance ? 1 : 0)
    }

    /// `text` as one number (`-1,234.5`, `$12`, `3e8`, `7.`), or `nil`.
    static func number(in text: Substring) -> Double? {
        var text = text
        if text.first == "$" { text = text.dropFirst() }
        if text.last == "." { text = text.dropLast() }
        let plain = text.filter { $0 != "," }
        guard !plain.isEmpty, plain.allSatisfy({ $0.isASCII }) else { return nil }
        return Double(plain).flatMap { $0.isFinite ? $0 : nil }
    }

    /// Every number in `text`, in order: runs of digits with an optional sign, inner
    /// thousands separators and one decimal point.
    static func numbers(in text: String) -> [Double] {
        var found: [Double] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else { i += 1; continue }
            var start = i
            if start > 0, chars[start - 1] == "-" { start -= 1 }
            var end = i
            var sawPoint = false
            while end < chars.count {
                let c = chars[end]
                if c.isASCII && c.isNumber {
                    end += 1
                } else if (c == "," || (c == "." && !sawPoint)), end + 1 < chars.count, chars[end + 1].isASCII, chars[end + 1].isNumber {
                    if c == "." { sawPoint = true }
                    end += 1
                } else {
                    break
                }
            }
            if let value = Double(String(chars[start..<end]).filter { $0 != "," }) { found.append(value) }
            i = end
        }
        return found
    }
}
