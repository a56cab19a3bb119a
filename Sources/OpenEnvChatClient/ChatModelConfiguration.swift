import Foundation

/// Where and how to reach an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
/// TGI, Ollama, llama.cpp server, …).
public struct ChatModelConfiguration: Sendable, Equatable {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`;
    /// requests go to `<baseURL>/chat/completions`.
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer <apiKey>`; never logged or put in errors.
    public var apiKey: String?
    /// An optional system message before the prompt.
    public var systemPrompt: String?
    /// `temperature` of the request (`nil`: not sent). Defaults to 0 for repeatable grades.
    public var temperature: Double?
    /// `max_tokens` of the request (`nil`: not sent).
    public var maxTokens: Int?
    public var policy: RequestPolicy

    public init(
        baseURL: String, model: String, apiKey: String? = nil, systemPrompt: String? = nil, temperature: Double? = 0,
        maxTokens: Int? = nil, policy: RequestPolicy = RequestPolicy()
    ) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.systemPrompt = systemPrompt
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.policy = policy
    }

    /// The configuration the process environment describes:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `OPENENV_JUDGE_BASE_URL` (else `OPENAI_BASE_URL`) | API root, required |
    /// | `OPENENV_JUDGE_MODEL` | model name, required |
    /// | `OPENENV_JUDGE_API_KEY` (else `OPENAI_API_KEY`) | bearer key, optional |
    /// | `OPENENV_JUDGE_TIMEOUT` | seconds per attempt (default 60) |
    /// | `OPENENV_JUDGE_MAX_ATTEMPTS` | attempts per score (default 3) |
    /// | `OPENENV_JUDGE_MAX_CONCURRENCY` | requests in flight (default 8) |
    ///
    /// Throws ``EndpointError/invalidConfiguration(_:)`` naming the missing or malformed variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(EndpointError) -> ChatModelConfiguration {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        guard let baseURL = value("OPENENV_JUDGE_BASE_URL", "OPENAI_BASE_URL") else {
            throw .invalidConfiguration("set OPENENV_JUDGE_BASE_URL (or OPENAI_BASE_URL) to the judge's API root, e.g. http://127.0.0.1:8000/v1")
        }
        guard let model = value("OPENENV_JUDGE_MODEL") else {
            throw .invalidConfiguration("set OPENENV_JUDGE_MODEL to the judge's model name")
        }
        var policy = RequestPolicy()
        if let text = value("OPENENV_JUDGE_TIMEOUT") {
            guard let seconds = Double(text), seconds > 0 else { throw .invalidConfiguration("OPENENV_JUDGE_TIMEOUT must be a positive number of seconds, not '\(text)'") }
            policy.timeout = .milliseconds(Int(seconds * 1000))
        }
        if let text = value("OPENENV_JUDGE_MAX_ATTEMPTS") {
            guard let n = Int(text), n >= 1 else { throw .invalidConfiguration("OPENENV_JUDGE_MAX_ATTEMPTS must be an integer >= 1, not '\(text)'") }
            policy.maxAttempts = n
        }
        if let text = value("OPENENV_JUDGE_MAX_CONCURRENCY") {
            guard let n = Int(text), n >= 1 else { throw .invalidConfiguration("OPENENV_JUDGE_MAX_CONCURRENCY must be an integer >= 1, not '\(text)'") }
            policy.maxConcurrentRequests = n
        }
        return ChatModelConfiguration(baseURL: baseURL, model: model, apiKey: value("OPENENV_JUDGE_API_KEY", "OPENAI_API_KEY"), policy: policy)
    }
}
