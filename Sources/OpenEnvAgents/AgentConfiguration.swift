import Foundation
import OpenEnvChatClient
import OpenEnvCore
import OpenEnvRewards

/// How an agent talks to its model.
public struct AgentConfiguration: Sendable, Equatable {
    /// The OpenAI-compatible endpoint and model (`temperature` defaults to 1 here: agents
    /// sample; set 0 for repeatable runs).
    public var model: ChatModelConfiguration
    /// The system message that opens every conversation (`nil`: none).
    public var systemPrompt: String?
    /// Model replies allowed in one turn (one episode, for a policy) before the agent stops.
    public var maxModelCalls: Int
    /// Ask for log-probabilities (`logprobs: true`) and keep them in the record.
    public var logprobs: Bool
    /// Extra request members sent with every request, e.g. `{"return_token_ids": true}`
    /// for vLLM's token ids, `top_p`, `seed`.
    public var extraBody: JSONObject

    public init(
        model: ChatModelConfiguration, systemPrompt: String? = AgentConfiguration.defaultSystemPrompt, maxModelCalls: Int = 16,
        logprobs: Bool = false, extraBody: JSONObject = [:]
    ) {
        self.model = model
        self.systemPrompt = systemPrompt
        self.maxModelCalls = maxModelCalls
        self.logprobs = logprobs
        self.extraBody = extraBody
    }

    /// The deadline of one model request attempt for agents: generations with many tokens
    /// take minutes on a busy endpoint, so longer than a judge's 60 s.
    public static let defaultRequestTimeout: Duration = .seconds(300)

    public static let defaultSystemPrompt =
        "You are an agent acting in an environment through the tools you are given. Call tools to make progress; answer without a tool call when you are done."

    /// The request members every request carries besides messages and tools.
    var requestOptions: JSONObject {
        var options = extraBody
        if logprobs { options["logprobs"] = true }
        return options
    }

    /// The configuration the process environment describes (what `openenv serve agent`
    /// reads, so that a container is configured by its environment):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `OPENENV_AGENT_BASE_URL` (else `OPENAI_BASE_URL`) | API root, required |
    /// | `OPENENV_AGENT_MODEL` | model name, required |
    /// | `OPENENV_AGENT_API_KEY` (else `OPENAI_API_KEY`) | bearer key, optional |
    /// | `OPENENV_AGENT_TEMPERATURE` | sampling temperature (default 1) |
    /// | `OPENENV_AGENT_SYSTEM_PROMPT` | system message (default ``defaultSystemPrompt``) |
    /// | `OPENENV_AGENT_MAX_MODEL_CALLS` | model replies per turn (default 16) |
    /// | `OPENENV_AGENT_TIMEOUT` | seconds one model request may take (default 300) |
    ///
    /// Throws ``EndpointError/invalidConfiguration(_:)`` naming the missing or malformed variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(EndpointError) -> AgentConfiguration {
        func value(_ names: String...) -> String? { names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } }
        let endpoint = EndpointVariables(environment)
        guard let baseURL = endpoint.baseURL else {
            throw .invalidConfiguration("set OPENENV_AGENT_BASE_URL (or OPENAI_BASE_URL) to the agent model's API root, e.g. http://127.0.0.1:8000/v1")
        }
        guard let model = endpoint.model else { throw .invalidConfiguration("set OPENENV_AGENT_MODEL to the agent's model name") }
        var temperature = 1.0
        if let text = value("OPENENV_AGENT_TEMPERATURE") {
            guard let t = Double(text), t >= 0 else { throw .invalidConfiguration("OPENENV_AGENT_TEMPERATURE must be a number >= 0, not '\(text)'") }
            temperature = t
        }
        var maxModelCalls = 16
        if let text = value("OPENENV_AGENT_MAX_MODEL_CALLS") {
            guard let n = Int(text), n >= 1 else { throw .invalidConfiguration("OPENENV_AGENT_MAX_MODEL_CALLS must be an integer >= 1, not '\(text)'") }
            maxModelCalls = n
        }
        var policy = RequestPolicy(timeout: defaultRequestTimeout)
        if let text = value("OPENENV_AGENT_TIMEOUT") {
            guard let seconds = Double(text), seconds > 0 else { throw .invalidConfiguration("OPENENV_AGENT_TIMEOUT must be a positive number of seconds, not '\(text)'") }
            policy.timeout = .milliseconds(Int64(seconds * 1000))
        }
        return AgentConfiguration(
            model: ChatModelConfiguration(baseURL: baseURL, model: model, apiKey: endpoint.apiKey, temperature: temperature, policy: policy),
            systemPrompt: value("OPENENV_AGENT_SYSTEM_PROMPT") ?? defaultSystemPrompt, maxModelCalls: maxModelCalls)
    }
}

extension AgentConfiguration {
    /// The model endpoint the process environment names, each `nil` when unset or empty:
    /// `OPENENV_AGENT_BASE_URL` (else `OPENAI_BASE_URL`), `OPENENV_AGENT_MODEL`,
    /// `OPENENV_AGENT_API_KEY` (else `OPENAI_API_KEY`). Command-line tools use it for the
    /// defaults of their own options.
    public struct EndpointVariables: Sendable, Equatable {
        public var baseURL: String?
        public var model: String?
        public var apiKey: String?

        public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
            func value(_ names: String...) -> String? { names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } }
            baseURL = value("OPENENV_AGENT_BASE_URL", "OPENAI_BASE_URL")
            model = value("OPENENV_AGENT_MODEL")
            apiKey = value("OPENENV_AGENT_API_KEY", "OPENAI_API_KEY")
        }
    }
}
