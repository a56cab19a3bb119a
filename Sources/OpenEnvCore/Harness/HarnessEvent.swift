import Foundation

/// What happened during one harness turn (RFC 005), in the reference's vocabulary.
public enum HarnessEventType: String, Sendable, CaseIterable {
    case llmRequest = "llm_request"
    case llmResponse = "llm_response"
    case llmChunk = "llm_chunk"
    case toolCall = "tool_call"
    case toolResult = "tool_result"
    case textOutput = "text_output"
    case error = "error"
    case turnComplete = "turn_complete"
}

/// One event of a harness turn, as streamed on `/harness` and kept in a turn's
/// observation metadata: `{"type", "timestamp", "data"}`.
///
/// Expected `data` keys by type (the reference's): `llm_request` `messages`, `model`;
/// `llm_response` `content`, `usage`; `llm_chunk` `content`, `index`; `tool_call`
/// `tool_name`, `arguments`; `tool_result` `tool_name`, `result`, `error`; `text_output`
/// `text`; `error` `message`, `recoverable`; `turn_complete` `response` and optionally `done`.
public struct HarnessEvent: Sendable, Equatable {
    public var type: HarnessEventType
    /// Unix time in seconds.
    public var timestamp: Double
    public var data: JSONObject

    public init(_ type: HarnessEventType, data: JSONObject = [:], timestamp: Double = Date().timeIntervalSince1970) {
        self.type = type
        self.timestamp = timestamp
        self.data = data
    }

    public var json: JSONValue {
        ["type": .string(type.rawValue), "timestamp": .double(timestamp), "data": .object(data)]
    }
}
