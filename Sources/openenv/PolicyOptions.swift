import ArgumentParser
import OpenEnvAgents
import OpenEnvChatClient
import OpenEnvCore
import OpenEnvRollouts

/// The policy options shared by `openenv collect` and `openenv eval`: which policy acts,
/// how it is seeded, and how long an episode may run. A new policy kind is added here
/// (a case of ``Kind``, its options, and a case in ``makeFactory()``).
struct PolicyOptions: ParsableArguments {
    /// `--policy`: which policy acts.
    enum Kind: String, CaseIterable, Sendable, ExpressibleByArgument {
        /// Valid actions sampled from `/schema` or the MCP tools.
        case random
        /// A shell command (`--command`) reading observations and writing actions, one JSON a line.
        case scripted
        /// A chat model calling the environment's tools (`--model-url`, `--model`).
        case llm
    }

    @Option(help: "random (valid actions sampled from /schema or the MCP tools), scripted (see --command) or llm (a chat model calling the environment's tools; see --model-url).")
    var policy = Kind.random

    @Option(help: "The scripted policy: a shell command reading one JSON observation per line on stdin and writing one JSON action (or null) per line.")
    var command: String?

    @Option(help: "Steps after which an episode is cut off.")
    var maxSteps = 100

    @Option(help: "Seeds the resets (collect: episode i gets SEED+i; eval: sample j of every task gets SEED+j) and the random policy.")
    var seed: Int?

    @Option(help: "llm: the OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1 (default: $OPENENV_AGENT_BASE_URL, else $OPENAI_BASE_URL). The key is read from $OPENENV_AGENT_API_KEY, else $OPENAI_API_KEY.")
    var modelUrl: String?

    @Option(help: "llm: the model name (default: $OPENENV_AGENT_MODEL).")
    var model: String?

    @Option(help: "llm: sampling temperature.")
    var temperature = 1.0

    @Option(help: "llm: seconds one model request may take before it is retried (3 attempts in all).")
    var modelTimeout = 300.0

    @Option(help: "llm: model replies per episode before the agent is stopped.")
    var maxModelCalls = 16

    @Option(help: "llm: the first user message, followed by the reset observation as JSON.")
    var prompt = LLMPolicy.defaultPrompt

    @Option(help: "llm: the system message.")
    var systemPrompt = AgentConfiguration.defaultSystemPrompt

    @Flag(help: "llm: ask for log-probabilities (logprobs: true) and record them.")
    var logprobs = false

    @Flag(help: "llm: ask for token ids (vLLM's return_token_ids: true) and record them.")
    var tokenIds = false

    /// Checks the policy and its options (each command checks `--max-steps` with its other counts).
    func validate() throws {
        if policy == .scripted && command == nil { throw ValidationError("--policy scripted needs --command") }
        if policy == .llm { _ = try agentConfiguration() }
    }

    /// The llm policy's model settings: the options, falling back on the process environment.
    func agentConfiguration() throws -> AgentConfiguration {
        let endpoint = AgentConfiguration.EndpointVariables()
        guard let baseURL = modelUrl ?? endpoint.baseURL else {
            throw ValidationError("--policy llm needs --model-url (or $OPENENV_AGENT_BASE_URL)")
        }
        guard let model = model ?? endpoint.model else { throw ValidationError("--policy llm needs --model (or $OPENENV_AGENT_MODEL)") }
        guard temperature >= 0, maxModelCalls >= 1, modelTimeout > 0 else {
            throw ValidationError("--temperature must be >= 0, --max-model-calls >= 1 and --model-timeout > 0")
        }
        let chat = ChatModelConfiguration(
            baseURL: baseURL, model: model, apiKey: endpoint.apiKey, temperature: temperature,
            policy: RequestPolicy(timeout: .milliseconds(Int64(modelTimeout * 1000))))
        _ = try ChatCompletionsClient(chat)
        return AgentConfiguration(
            model: chat, systemPrompt: systemPrompt, maxModelCalls: maxModelCalls, logprobs: logprobs,
            extraBody: tokenIds ? ["return_token_ids": true] : [:])
    }

    /// One policy per worker.
    func makeFactory() -> PolicyFactory {
        let (policy, command, seed) = (self.policy, self.command, UInt64(bitPattern: Int64(self.seed ?? 0)))
        let agent = policy == .llm ? try? agentConfiguration() : nil
        let prompt = self.prompt
        return { environment, _ in
            if policy == .scripted { return try ScriptedPolicy(command: ["sh", "-c", command!]) }
            if let agent { return try LLMPolicy(configuration: agent, environment: environment, prompt: prompt) }
            return RandomPolicy(environment: environment, seed: seed)
        }
    }

    /// The policy as recorded in a results file.
    var recorded: JSONObject {
        var recorded: JSONObject = ["policy": .string(policy.rawValue), "command": command.map(JSONValue.string) ?? nil]
        if policy == .llm, let agent = try? agentConfiguration() {
            recorded["model"] = .string(agent.model.model)
            recorded["model_url"] = .string(agent.model.baseURL)
            recorded["temperature"] = .double(agent.model.temperature ?? 1)
        }
        return recorded
    }
}
