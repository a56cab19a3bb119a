/// A reward an environment produced but must not send: it is not a finite number, or it
/// lies outside the environment's declared ``EnvironmentInfo/rewardRange``.
///
/// Thrown by the wire conversion of every reset and step result, so the client gets an
/// `EXECUTION_ERROR` (HTTP 500) naming the value instead of a `null` or an out-of-range
/// number that a trainer would silently learn from.
public enum RewardError: Error, Sendable, Equatable, CustomStringConvertible {
    case nonFinite(Double)
    case outOfRange(Double, ClosedRange<Double>)

    /// Throws when `reward` is non-finite or, with a `range`, outside it. Booleans count
    /// as 0 and 1, as HTTP replies carry them.
    public static func check(_ reward: Reward, range: ClosedRange<Double>?) throws(RewardError) {
        let value: Double
        switch reward {
        case .int(let i): value = Double(i)
        case .double(let d): value = d
        case .bool(let b): value = b ? 1 : 0
        }
        guard value.isFinite else { throw .nonFinite(value) }
        if let range, !range.contains(value) { throw .outOfRange(value, range) }
    }

    public var description: String {
        switch self {
        case .nonFinite(let value):
            "the environment produced a non-finite reward (\(value)); it was not sent"
        case .outOfRange(let value, let range):
            "the environment produced reward \(value), outside its declared range \(range.lowerBound)...\(range.upperBound); it was not sent"
        }
    }
}
