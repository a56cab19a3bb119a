import OpenEnvCore

/// A reproducible shuffle: SplitMix64 seeded with the seed's bits, driving a
/// Fisher-Yates shuffle with unbiased bounded draws (Lemire's method with rejection).
/// Written out here rather than taken from the standard library, whose algorithms may
/// change between Swift versions: a seed must name the same order forever.
public enum SeededShuffle {
    /// The positions `0..<count` in the order `seed` gives.
    public static func permutation(count: Int, seed: Int) -> [Int] {
        var order = Array(0..<count)
        var generator = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        var i = count - 1
        while i > 0 {
            let j = Int(generator.next(below: UInt64(i + 1)))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}
