import OpenEnvChatClient
/// A score a rubric must not hand out, or a rubric built wrong.
public enum RubricError: Error, Sendable, Equatable, CustomStringConvertible {
    /// NaN or an infinity.
    case nonFinite(Double)
    /// A finite score outside the rubric's declared range.
    case outOfRange(Double, ClosedRange<Double>)
    /// A container or leaf configured inconsistently (duplicate names, bad weights, …).
    case invalidConfiguration(String)

    /// Throws unless `value` is finite and inside `range`.
    public static func check(_ value: Double, in range: ClosedRange<Double>) throws(RubricError) {
        guard value.isFinite else { throw .nonFinite(value) }
        guard range.contains(value) else { throw .outOfRange(value, range) }
    }

    public var description: String {
        switch self {
        case .nonFinite(let value): "non-finite score \(value)"
        case .outOfRange(let value, let range): "score \(value) is outside the declared range \(range.lowerBound)...\(range.upperBound)"
        case .invalidConfiguration(let what): "invalid rubric: \(what)"
        }
    }
}

/// A named rubric inside a tree failed: `path` says which (`"answer.judge"`), `underlying`
/// why (a ``RubricError``, an ``EndpointError``, …).
public struct RubricFailure: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var underlying: any Error

    public init(path: String, underlying: any Error) {
        self.path = path
        self.underlying = underlying
    }

    func under(_ name: String) -> RubricFailure { RubricFailure(path: "\(name).\(path)", underlying: underlying) }

    public var description: String { "rubric '\(path)' failed: \(underlying)" }
}
