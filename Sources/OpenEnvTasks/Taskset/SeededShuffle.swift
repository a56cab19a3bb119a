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

    struct SplitMix64 {
        var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A uniform value in `0..<bound` (`bound > 0`).
        mutating func next(below bound: UInt64) -> UInt64 {
            var product = next().multipliedFullWidth(by: bound)
            if product.low < bound {
                let threshold = (0 &- bound) % bound
                while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
            }
            return product.high
        }
    }
}
