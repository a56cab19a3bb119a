import OpenEnvCore
import Synchronization

/// Samples valid actions from the environment's schema: a random value for each required
/// property (enum members, integers within `minimum`/`maximum`, booleans, short strings),
/// or, for MCP environments, a random tool with arguments sampled from its input schema.
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
                return ["type": "call_tool", "tool_name": .string(tool.name), "arguments": Self.sample(tool.inputSchema, &rng)]
            }
            return Self.sample(environment.actionSchema, &rng)
        }
    }

    /// A stable hash of a string (Swift's `hashValue` changes from process to process).
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    /// A random value satisfying `schema` (the subset of JSON Schema OpenEnv servers publish).
    static func sample(_ schema: JSONValue, _ rng: inout SplitMix64) -> JSONValue {
        if let choices = schema["enum"]?.arrayValue, !choices.isEmpty { return choices[Int(rng.next() % UInt64(choices.count))] }
        if let constant = schema["const"] { return constant }
        if let options = schema["anyOf"]?.arrayValue?.filter({ $0["type"] != "null" }), !options.isEmpty {
            return sample(options[Int(rng.next() % UInt64(options.count))], &rng)
        }
        switch schema["type"]?.stringValue {
        case "integer":
            let low = schema["minimum"]?.intValue ?? 0
            let high = max(low, schema["maximum"]?.intValue ?? low + 9)
            return .int(low + Int(rng.next() % UInt64(high - low + 1)))
        case "number":
            let low = schema["minimum"]?.doubleValue ?? 0
            let high = schema["maximum"]?.doubleValue ?? low + 1
            return .double(low + (high - low) * Double(rng.next() >> 11) / Double(1 << 53))
        case "boolean": return .bool(rng.next() & 1 == 1)
        case "string":
            let words = ["hello", "world", "agent", "step", "reward"]
            return .string(words[Int(rng.next() % UInt64(words.count))])
        case "array": return []
        default:
            var object = JSONObject()
            let properties = schema["properties"]?.objectValue ?? [:]
            for case .string(let name) in schema["required"]?.arrayValue ?? [] where name != "metadata" {
                object[name] = sample(properties[name] ?? [:], &rng)
            }
            return .object(object)
        }
    }
}
