import OpenEnvCore

/// A chat with tool calls, in the chat-completions message format, and the record of
/// every model reply in it (token ids, log-probabilities, usage).
public struct Conversation: Sendable, Equatable {
    public private(set) var messages: [JSONValue] = []
    /// One entry per model reply, in order (see ``ChatCompletion/record``).
    public private(set) var completions: [JSONValue] = []

    public init(system: String? = nil) {
        if let system { messages.append(["role": "system", "content": .string(system)]) }
    }

    public mutating func appendUser(_ text: String) {
        messages.append(["role": "user", "content": .string(text)])
    }

    public mutating func append(_ completion: ChatCompletion) {
        var message = completion.message
        message["role"] = "assistant"
        if message["content"] == nil { message["content"] = JSONValue.null }
        messages.append(.object(message))
        completions.append(completion.record)
    }

    public mutating func appendToolResult(callID: String, name: String, content: String) {
        messages.append(["role": "tool", "tool_call_id": .string(callID), "name": .string(name), "content": .string(content)])
    }

    /// The chat-completions request for the next reply.
    public func request(tools: [FunctionTool], options: JSONObject) -> JSONObject {
        var body = options
        body["messages"] = .array(messages)
        if !tools.isEmpty { body["tools"] = .array(tools.map(\.json)) }
        return body
    }
}
