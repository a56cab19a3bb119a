/// Reads a score out of a judge's reply text.
///
/// The score is the first match of ``pattern`` (its first capture group when it has one),
/// read as a number, then brought into ``range`` as ``scale`` says. A reply without a
/// match, or a score that stays outside the range, is a ``ScoreParseError``: never a
/// silent zero.
public struct ScoreParser: Sendable, Equatable {
    public enum Scale: Sendable, Equatable {
        /// The number must already lie in the range.
        case exact
        /// Numbers outside the range are clamped to it.
        case clamp
        /// The number is mapped linearly from `source` onto the range (a 1-10 rating to
        /// 0-1); it must lie in `source`.
        case rescale(from: ClosedRange<Double>)
    }

    /// A regular expression; the default matches the first decimal number.
    public let pattern: String
    public let scale: Scale
    /// The range of the scores produced.
    public let range: ClosedRange<Double>

    public static let firstNumber = #"-?\d+(?:\.\d+)?"#

    /// Throws ``ScoreParseError/invalidPattern(_:)`` when `pattern` is not a valid regular expression.
    public init(pattern: String = ScoreParser.firstNumber, scale: Scale = .exact, range: ClosedRange<Double> = 0...1) throws(ScoreParseError) {
        do {
            _ = try Regex(pattern)
        } catch {
            throw .invalidPattern(pattern)
        }
        self.pattern = pattern
        self.scale = scale
        self.range = range
    }

    public func parse(_ reply: String) throws(ScoreParseError) -> Double {
        guard let regex = try? Regex(pattern), let match = reply.firstMatch(of: regex) else { throw .noScore(reply) }
        let text = match.output.count > 1 ? match.output[1].substring : match.output[0].substring
        guard let text, let number = Double(text), number.isFinite else { throw .noScore(reply) }
        switch scale {
        case .exact:
            guard range.contains(number) else { throw .outOfRange(number, range) }
            return number
        case .clamp:
            return min(max(number, range.lowerBound), range.upperBound)
        case .rescale(let source):
            guard source.contains(number), source.upperBound > source.lowerBound else { throw .outOfRange(number, source) }
            let fraction = (number - source.lowerBound) / (source.upperBound - source.lowerBound)
            return range.lowerBound + fraction * (range.upperBound - range.lowerBound)
        }
    }
}

/// A judge reply that yields no usable score.
public enum ScoreParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidPattern(String)
    /// No match for the pattern; the reply (shortened) is kept for the error message.
    case noScore(String)
    case outOfRange(Double, ClosedRange<Double>)

    public var description: String {
        switch self {
        case .invalidPattern(let pattern): "score pattern '\(pattern)' is not a valid regular expression"
        case .noScore(let reply): "no score in the judge's reply: \"\(reply.prefix(200))\(reply.count > 200 ? "…" : "")\""
        case .outOfRange(let value, let range): "judge score \(value) is outside \(range.lowerBound)...\(range.upperBound)"
        }
    }
}
