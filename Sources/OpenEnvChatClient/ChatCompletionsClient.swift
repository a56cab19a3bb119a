import OpenEnvCore

/// Asks an OpenAI-compatible `POST <baseURL>/chat/completions` for one reply.
///
/// Copies share one bound on requests in flight (``RequestPolicy/maxConcurrentRequests``):
/// give every judge that should share the bound the same client.
public struct ChatCompletionsClient: Sendable {
    public let configuration: ChatModelConfiguration
    private let endpoint: JSONEndpoint

    public init(_ configuration: ChatModelConfiguration) throws(EndpointError) {
        guard !configuration.model.isEmpty else { throw .invalidConfiguration("the judge's model name is empty") }
        var root = configuration.baseURL
        while root.hasSuffix("/") { root.removeLast() }
        var headers: [(String, String)] = []
        if let key = configuration.apiKey, !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
        self.configuration = configuration
        endpoint = try JSONEndpoint(url: root + "/chat/completions", headers: headers, policy: configuration.policy)
    }

    /// The request body for `prompt`.
    func requestBody(prompt: String) -> JSONValue {
        var messages: [JSONValue] = []
        if let system = configuration.systemPrompt { messages.append(["role": "system", "content": .string(system)]) }
        messages.append(["role": "user", "content": .string(prompt)])
        var body: JSONObject = ["model": .string(configuration.model), "messages": .array(messages)]
        if let temperature = configuration.temperature { body["temperature"] = .double(temperature) }
        if let maxTokens = configuration.maxTokens { body["max_tokens"] = .int(maxTokens) }
        return .object(body)
    }

    /// The text of the first choice's message for a one-message conversation (after the
    /// optional system message). Throws ``EndpointError`` (after the policy's retries).
    public func complete(prompt: String) async throws -> String {
        let reply = try await endpoint.post(requestBody(prompt: prompt))
        guard case .array(let choices)? = reply["choices"], let first = choices.first else {
            throw EndpointError.invalidReply(url: endpoint.url, reason: "no choices in the reply")
        }
        guard let content = first["message"]?["content"]?.stringValue else {
            throw EndpointError.invalidReply(url: endpoint.url, reason: "the first choice has no message content")
        }
        return content
    }

    /// Posts a whole chat-completions request: `body` (messages, tools, sampling options)
    /// with the configured `model`, and the configured `temperature` and `max_tokens` where
    /// `body` sets none. Returns the reply object. Throws ``EndpointError`` (after the
    /// policy's retries), also when the reply is not a JSON object.
    public func send(_ body: JSONObject) async throws -> JSONObject {
        var request = body
        request["model"] = .string(configuration.model)
        if request["temperature"] == nil, let temperature = configuration.temperature { request["temperature"] = .double(temperature) }
        if request["max_tokens"] == nil, let maxTokens = configuration.maxTokens { request["max_tokens"] = .int(maxTokens) }
        guard case .object(let reply) = try await endpoint.post(.object(request)) else {
            throw EndpointError.invalidReply(url: endpoint.url, reason: "the reply is not a JSON object")
        }
        return reply
    }
}
