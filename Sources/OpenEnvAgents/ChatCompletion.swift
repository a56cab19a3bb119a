import OpenEnvChatClient
import OpenEnvCore
import OpenEnvRewards

/// One reply of an OpenAI-compatible `POST /chat/completions`: the first choice's message,
/// and what the endpoint said about how it was produced.
public struct ChatCompletion: Sendable, Equatable {
    /// The assistant message as returned (`role`, `content`, `tool_calls`, …), ready to be
    /// appended to the conversation.
    public var message: JSONObject
    public var toolCalls: [ToolCall]
    public var finishReason: String?
    /// `usage` (`prompt_tokens`, `completion_tokens`, …) when the endpoint reports it.
    public var usage: JSONValue
    /// The choice's `logprobs` (OpenAI: `{"content": [{"token", "logprob", …}]}`) when asked for.
    public var logprobs: JSONValue
    /// The completion's token ids, when the endpoint returns them (vLLM's `token_ids`).
    public var tokenIDs: [Int]?
    /// The prompt's token ids, when the endpoint returns them (vLLM's `prompt_token_ids`).
    public var promptTokenIDs: [Int]?

    /// The message's text (`content`; empty when the model only called tools).
    public var content: String { message["content"]?.stringValue ?? "" }

    /// Reads a reply. Throws ``EndpointError/invalidReply(url:reason:)`` when it has no
    /// choice with a message, or a tool call without a function name.
    public init(reply: JSONObject, url: String) throws {
        guard let choice = reply["choices"]?.arrayValue?.first, case .object(let message)? = choice["message"] else {
            throw EndpointError.invalidReply(url: url, reason: "no choice with a message in the reply")
        }
        var calls: [ToolCall] = []
        for (index, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let name = call["function"]?["name"]?.stringValue else {
                throw EndpointError.invalidReply(url: url, reason: "tool call \(index) has no function name")
            }
            calls.append(ToolCall(
                id: call["id"]?.stringValue ?? "call_\(index)", name: name,
                argumentsText: call["function"]?["arguments"]?.stringValue ?? "{}"))
        }
        self.message = message
        toolCalls = calls
        finishReason = choice["finish_reason"]?.stringValue
        usage = reply["usage"] ?? nil
        logprobs = choice["logprobs"] ?? nil
        tokenIDs = choice["token_ids"]?.arrayValue?.compactMap(\.intValue)
        promptTokenIDs = (reply["prompt_token_ids"] ?? choice["prompt_token_ids"])?.arrayValue?.compactMap(\.intValue)
    }

    /// What a trajectory keeps of the reply for training: finish reason, usage, and the
    /// token ids and log-probabilities when the endpoint returned them.
    public var record: JSONValue {
        var object: JSONObject = ["finish_reason": finishReason.map(JSONValue.string) ?? nil, "usage": usage]
        if !logprobs.isNull { object["logprobs"] = logprobs }
        if let tokenIDs { object["token_ids"] = .array(tokenIDs.map(JSONValue.int)) }
        if let promptTokenIDs { object["prompt_token_ids"] = .array(promptTokenIDs.map(JSONValue.int)) }
        return .object(object)
    }
}

/// One function call the model asked for.
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments as the model wrote them: JSON text, not necessarily valid.
    public var argumentsText: String

    /// The arguments as an object; throws a description the model can act on when the
    /// text is not a JSON object.
    public func arguments() throws(ToolCallError) -> JSONObject {
        if argumentsText.allSatisfy(\.isWhitespace) { return [:] }
        let value: JSONValue
        do { value = try JSONParser.parse(Array(argumentsText.utf8)) } catch {
            throw ToolCallError("the arguments of \(name) are not valid JSON (\(error))")
        }
        guard case .object(let object) = value else { throw ToolCallError("the arguments of \(name) must be a JSON object") }
        return object
    }
}

/// Why a tool call could not be made; told to the model as the tool's answer.
public struct ToolCallError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
