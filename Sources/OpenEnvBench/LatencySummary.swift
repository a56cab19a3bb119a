/// Percentiles of a set of latencies.
public struct LatencySummary: Sendable, Equatable {
    public var count: Int
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    /// Summarizes latencies given in nanoseconds; figures are in milliseconds.
    public init(nanoseconds: [UInt64]) {
        let sorted = nanoseconds.sorted()
        count = sorted.count
        func at(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Swift.min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))
            return Double(sorted[index]) / 1e6
        }
        p50 = at(0.50)
        p90 = at(0.90)
        p99 = at(0.99)
        max = at(1.0)
    }
}
