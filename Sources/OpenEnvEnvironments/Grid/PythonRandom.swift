/// The part of CPython's `random.Random` (MT19937) that the grid's layout needs, so a
/// seed gives exactly the layout the Python reference environment gives.
///
/// Reproduces `random.Random(seed)` for integer seeds (`init_by_array` over the 32-bit
/// words of `abs(seed)`), `getrandbits(k)` for `k <= 32`, `sample(range(n), k)` on
/// the set-based path CPython takes when `n` exceeds its pool threshold, and `shuffle(x)`.
struct PythonRandom {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: Int) {
        var magnitude = seed.magnitude
        var key: [UInt32] = []
        repeat {
            key.append(UInt32(truncatingIfNeeded: magnitude))
            magnitude >>= 32
        } while magnitude != 0
        initByArray(key)
    }

    /// MT19937's `init_genrand(s)`: how numpy's `RandomState` seeds from one 32-bit word.
    init(word s: UInt32) {
        initGenrand(s)
    }

    // The seeding loops run on the buffer: an episode's reset seeds, and autoreset makes
    // that as frequent as steps.
    mutating func initGenrand(_ s: UInt32) {
        mt.withUnsafeMutableBufferPointer { mt in
            mt[0] = s
            for i in 1..<624 {
                mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
            }
        }
        index = 624
    }

    private mutating func initByArray(_ key: [UInt32]) {
        initGenrand(19_650_218)
        mt.withUnsafeMutableBufferPointer { mt in
            var i = 1
            var j = 0
            for _ in 0..<max(624, key.count) {
                mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
                i += 1
                j += 1
                if i >= 624 { mt[0] = mt[623]; i = 1 }
                if j >= key.count { j = 0 }
            }
            for _ in 0..<623 {
                mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
                i += 1
                if i >= 624 { mt[0] = mt[623]; i = 1 }
            }
            mt[0] = 0x8000_0000
        }
    }

    mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            mt.withUnsafeMutableBufferPointer { mt in
                for k in 0..<624 {
                    let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7FFF_FFFF)
                    mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
                }
            }
            index = 0
        }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    mutating func getrandbits(_ k: Int) -> Int { Int(nextUInt32() >> UInt32(32 - k)) }

    mutating func randbelow(_ n: Int) -> Int {
        let bits = Int.bitWidth - n.leadingZeroBitCount
        var r = getrandbits(bits)
        while r >= n { r = getrandbits(bits) }
        return r
    }

    /// `sample(range(n), k)` for `n > 21 + …` (the set-based selection), as the grid uses.
    mutating func sample(rangeCount n: Int, _ k: Int) -> [Int] {
        var selected = Set<Int>()
        var result: [Int] = []
        for _ in 0..<k {
            var j = randbelow(n)
            while selected.contains(j) { j = randbelow(n) }
            selected.insert(j)
            result.append(j)
        }
        return result
    }

    /// `shuffle(x)`: from the last element down to the second, swap with one at or before it.
    mutating func shuffle<Element>(_ x: inout [Element]) {
        guard x.count > 1 else { return }
        for i in stride(from: x.count - 1, through: 1, by: -1) {
            x.swapAt(i, randbelow(i + 1))
        }
    }
}
