import ArgumentParser
import OpenEnvCore
import OpenEnvRollouts

/// The policy options shared by `openenv collect` and `openenv eval`: which policy acts,
/// how it is seeded, and how long an episode may run. A new policy kind is added here
/// (its name in `kinds`, its options, and a case in ``makeFactory()``).
struct PolicyOptions: ParsableArguments {
    static let kinds = ["random", "scripted"]

    @Option(help: "random (valid actions sampled from /schema or the MCP tools) or scripted (see --command).")
    var policy = "random"

    @Option(help: "The scripted policy: a shell command reading one JSON observation per line on stdin and writing one JSON action (or null) per line.")
    var command: String?

    @Option(help: "Steps after which an episode is cut off.")
    var maxSteps = 100

    @Option(help: "Seeds the resets (collect: episode i gets SEED+i; eval: sample j of every task gets SEED+j) and the random policy.")
    var seed: Int?

    /// Checks the policy and its command (each command checks `--max-steps` with its other counts).
    func validate() throws {
        guard Self.kinds.contains(policy) else { throw ValidationError("--policy must be " + Self.kinds.joined(separator: " or ")) }
        if policy == "scripted" && command == nil { throw ValidationError("--policy scripted needs --command") }
    }

    /// One policy per worker.
    func makeFactory() -> PolicyFactory {
        let (policy, command, seed) = (self.policy, self.command, UInt64(bitPattern: Int64(self.seed ?? 0)))
        return { environment, _ in
            if policy == "scripted" { return try ScriptedPolicy(command: ["sh", "-c", command!]) }
            return RandomPolicy(environment: environment, seed: seed)
        }
    }

    /// The policy as recorded in a results file.
    var recorded: JSONObject {
        ["policy": .string(policy), "command": command.map(JSONValue.string) ?? nil]
    }
}
