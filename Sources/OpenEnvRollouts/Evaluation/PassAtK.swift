/// The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models
/// Trained on Code"): with `n` samples of a task of which `c` passed, the probability that
/// at least one of `k` samples drawn without replacement passes,
///
///     pass@k = 1 − C(n−c, k) / C(n, k)
///
/// computed as the product `1 − ∏_{i=n−c+1…n} (1 − k/i)`, which never forms the (huge)
/// binomial coefficients. A benchmark's pass@k is the mean over its tasks.
public enum PassAtK {
    /// pass@k of one task. `1` when fewer than `k` samples failed (`n − c < k`: every draw
    /// of `k` holds a pass), `0` when none passed. Requires `0 ≤ c ≤ n` and `1 ≤ k ≤ n`.
    public static func estimate(n: Int, c: Int, k: Int) -> Double {
        precondition(n >= 0 && c >= 0 && c <= n, "pass@k needs 0 ≤ c ≤ n (n \(n), c \(c))")
        precondition(k >= 1 && k <= n, "pass@k needs 1 ≤ k ≤ n (n \(n), k \(k))")
        if c == 0 { return 0 }
        if n - c < k { return 1 }
        var allFail = 1.0
        for i in (n - c + 1)...n { allFail *= 1 - Double(k) / Double(i) }
        return 1 - allFail
    }

    /// The mean of ``estimate(n:c:k:)`` over tasks given as `(n, c)`; `0` for no tasks.
    public static func mean(_ tasks: [(n: Int, c: Int)], k: Int) -> Double {
        guard !tasks.isEmpty else { return 0 }
        return tasks.map { estimate(n: $0.n, c: $0.c, k: k) }.reduce(0, +) / Double(tasks.count)
    }

    /// The `k`s reported for `samples` samples per task: 1, the powers of two below
    /// `samples`, and `samples` (`[1, 2, 4, 8, 10]` for 10).
    public static func reportedKs(samples: Int) -> [Int] {
        guard samples >= 1 else { return [] }
        var ks: [Int] = []
        var k = 1
        while k < samples {
            ks.append(k)
            k *= 2
        }
        ks.append(samples)
        return ks
    }
}
