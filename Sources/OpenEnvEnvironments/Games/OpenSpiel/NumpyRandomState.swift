/// The two seeded draws of the Python side of `openspiel_env`, on the MT19937 of
/// ``PythonRandom``:
/// - chance outcomes as `open_spiel.python.rl_environment.ChanceEventSampler(seed)` draws
///   them: `numpy.random.RandomState(seed).choice(actions, p=probs)` (numpy's legacy seeding
///   is `init_genrand(seed)`; `choice` takes one 53-bit `random_sample()` and searches the
///   normalised cumulative sum, `side="right"`);
/// - a uniform choice from a list as CPython's `random.Random(seed).choice(seq)`
///   (`seq[_randbelow(len(seq))]`).
extension PythonRandom {
    /// `numpy.random.RandomState(seed)` (numpy accepts 0...2^32-1).
    init(numpySeed: UInt32) {
        self.init(word: numpySeed)
    }

    /// `random.random()` / numpy's `random_sample()`: `(a * 2^26 + b) / 2^53` from two words.
    mutating func random() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `RandomState.choice(actions, p=probabilities)` with one sample.
    mutating func choice(_ outcomes: [ChanceOutcome]) -> Int {
        var cdf: [Double] = []
        cdf.reserveCapacity(outcomes.count)
        var sum = 0.0
        for outcome in outcomes {
            sum += outcome.probability
            cdf.append(sum)
        }
        let total = sum
        let u = random()
        let index = cdf.firstIndex { $0 / total > u } ?? outcomes.count - 1
        return outcomes[index].action
    }

    /// `random.Random.choice(seq)`.
    mutating func choice(_ values: [Int]) -> Int { values[randbelow(values.count)] }
}
