/// How an episode's final score `R` is spread back over its `T` steps once it is known.
///
/// Every scheme gives the last step exactly `R`, which is the reward sent with it.
public enum CreditAssignment: Sendable, Equatable {
    /// Only the last step is credited: `[0, …, 0, R]`.
    case finalStep
    /// Every step gets `R`.
    case uniform
    /// `r_t = γ^(T-1-t) · R`: steps closer to the outcome get more (`γ` in `0...1`).
    case discounted(gamma: Double)

    /// The per-step credits for a final score over `steps` steps.
    public func stepRewards(final score: Double, steps: Int) -> [Double] {
        guard steps > 0 else { return [] }
        switch self {
        case .finalStep:
            return Array(repeating: 0, count: steps - 1) + [score]
        case .uniform:
            return Array(repeating: score, count: steps)
        case .discounted(let gamma):
            var rewards = [Double](repeating: score, count: steps)
            var factor = 1.0
            for t in stride(from: steps - 1, through: 0, by: -1) {
                rewards[t] = factor * score
                factor *= gamma
            }
            return rewards
        }
    }
}
