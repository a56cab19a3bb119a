import OpenEnvCore
import OpenEnvSandbox

extension SandboxPool.Settings {
    /// The warm-pool options of `openenv serve coding` and `openenv serve terminal`:
    /// `--sandbox-pool N`, sandboxes kept ready (absent or 0: no pool), and
    /// `--sandbox-pool-refill K`, sandboxes started at once while refilling (default 2; on
    /// two cores more only competes with the sessions). `nil` when no pool is asked for.
    /// - Throws: ``EnvironmentOptionsError`` for other options or values that are not
    ///   whole numbers in range.
    init?(_ options: EnvironmentOptions, for environment: String) throws(EnvironmentOptionsError) {
        try options.requireOnly(["--sandbox-pool", "--sandbox-pool-refill"], for: environment)
        func number(_ name: String, _ range: ClosedRange<Int>) throws(EnvironmentOptionsError) -> Int? {
            guard let text = options[name] else { return nil }
            guard let n = Int(text), range.contains(n) else {
                throw EnvironmentOptionsError("\(name) \(text): expected a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        let size = try number("--sandbox-pool", 0...1024) ?? 0
        let refill = try number("--sandbox-pool-refill", 1...64) ?? 2
        guard size > 0 else { return nil }
        self.init(size: size, refill: refill)
    }
}
