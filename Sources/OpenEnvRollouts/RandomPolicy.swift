import OpenEnvCore
import Synchronization

/// Samples valid actions from the environment's schema (``JSONSchemaSampler``), or, for
/// MCP environments, a random tool with arguments sampled from its input schema.
///
/// Deterministic: each episode's generator is seeded from the policy's seed and the
/// episode's seed (or, without one, its id), so an episode samples the same actions
/// whichever worker runs it.
public final class RandomPolicy: Policy {
    private let environment: EnvironmentDescription
    private let baseSeed: UInt64
    private let generator: Mutex<SplitMix64>

    public init(environment: EnvironmentDescription, seed: UInt64) {
        self.environment = environment
        baseSeed = seed
        generator = Mutex(SplitMix64(seed: seed))
    }

    public func beginEpisode(_ episodeID: String, seed: Int?) async throws {
        let episodeSeed = seed.map { UInt64(bitPattern: Int64($0)) } ?? Self.fnv1a(episodeID)
        generator.withLock { $0 = SplitMix64(seed: baseSeed ^ (episodeSeed &* 0x9E37_79B9_7F4A_7C15)) }
    }

    public func act(_ input: PolicyInput) async throws -> JSONValue? {
        generator.withLock { rng in
            if environment.isMCP, !environment.tools.isEmpty {
                let tool = environment.tools[Int(rng.next() % UInt64(environment.tools.count))]
                return ["type": "call_tool", "tool_name": .string(tool.name), "arguments": JSONSchemaSampler(tool.inputSchema).random(using: &rng)]
            }
            return JSONSchemaSampler(environment.actionSchema).random(using: &rng)
        }
    }

    /// A stable hash of a string (Swift's `hashValue` changes from process to process).
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
