import OpenEnvCore

/// A local server speaking OpenAI's chat-completions protocol (`POST /v1/chat/completions`,
/// tool calls, OpenAI-style errors) whose replies a test decides, and the requests it got.
public final class ChatCompletionsServer: Sendable {
    /// Decides the assistant message (and any extra choice or reply members) for a request.
    public typealias Rule = @Sendable (_ request: JSONObject) -> ChatReply

    public let http: LoopbackHTTPServer
    public let log: RequestLog
    /// The API root to configure a client with (`…/v1`).
    public var baseURL: String { http.baseURL + "/v1" }

    private init(http: LoopbackHTTPServer, log: RequestLog) {
        self.http = http
        self.log = log
    }

    /// Runs `body` with a server answering by `rule`, then stops it.
    @discardableResult
    public static func with<T: Sendable>(_ rule: @escaping Rule = ChatReply.toolUser, _ body: (ChatCompletionsServer) async throws -> T) async throws -> T {
        let log = RequestLog()
        return try await withLoopbackHTTPServer({ request in
            guard request.method == "POST", request.uri.hasSuffix("/v1/chat/completions") else {
                return .json(["error": ["message": .string("no route \(request.uri)"), "type": "invalid_request_error"]], status: 404)
            }
            guard case .object(let body)? = request.json, body["messages"]?.arrayValue != nil, body["model"]?.stringValue != nil else {
                return .json(["error": ["message": "'model' and a list of 'messages' are required", "type": "invalid_request_error"]], status: 400)
            }
            let count = await log.record(body)
            let reply = rule(body)
            if let delay = reply.delay { try? await Task.sleep(for: delay) }
            if let status = reply.status { return .json(["error": ["message": .string(reply.message["content"]?.stringValue ?? "error"), "type": "server_error"]], status: status) }
            var choice: JSONObject = ["index": 0, "message": .object(reply.message), "finish_reason": .string(reply.message["tool_calls"] == nil ? "stop" : "tool_calls")]
            for member in reply.choiceExtras { choice[member.key] = member.value }
            var object: JSONObject = [
                "id": .string("chatcmpl-\(count)"), "object": "chat.completion", "created": 0, "model": body["model"] ?? nil,
                "choices": [.object(choice)], "usage": ["prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15],
            ]
            for member in reply.replyExtras { object[member.key] = member.value }
            return .json(.object(object))
        }) { http in try await body(ChatCompletionsServer(http: http, log: log)) }
    }

    /// Every request body received, in order.
    public actor RequestLog {
        public private(set) var requests: [JSONObject] = []
        func record(_ body: JSONObject) -> Int { requests.append(body); return requests.count }
    }
}

/// One answer of a ``ChatCompletionsServer``.
public struct ChatReply: Sendable {
    public var message: JSONObject
    public var choiceExtras: JSONObject = [:]
    public var replyExtras: JSONObject = [:]
    /// An HTTP error status instead of a reply.
    public var status: Int?
    /// How long the server waits before answering.
    public var delay: Duration?

    public init(message: JSONObject, choiceExtras: JSONObject = [:], replyExtras: JSONObject = [:], status: Int? = nil) {
        self.message = message
        self.choiceExtras = choiceExtras
        self.replyExtras = replyExtras
        self.status = status
    }

    public static func text(_ text: String) -> ChatReply { ChatReply(message: ["role": "assistant", "content": .string(text)]) }

    public static func toolCall(_ name: String, arguments: String, id: String = "call_1") -> ChatReply {
        ChatReply(message: [
            "role": "assistant", "content": nil,
            "tool_calls": [["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]],
        ])
    }

    public static func failure(_ status: Int, _ message: String) -> ChatReply {
        ChatReply(message: ["content": .string(message)], status: status)
    }

    /// A rule that acts like a minimal agent: after a tool's answer, reply with text quoting
    /// it; after a user message, call the first offered tool that has a string parameter,
    /// passing the message's first line.
    public static let toolUser: ChatCompletionsServer.Rule = { request in
        let last = request["messages"]?.arrayValue?.last
        if last?["role"]?.stringValue == "tool" {
            return .text("The tool answered: " + (last?["content"]?.stringValue ?? ""))
        }
        let line = (last?["content"]?.stringValue ?? "").split(separator: "\n").first.map(String.init) ?? ""
        for tool in request["tools"]?.arrayValue ?? [] {
            guard let name = tool["function"]?["name"]?.stringValue,
                  let parameter = tool["function"]?["parameters"]?["properties"]?.objectValue?.first(where: { $0.value["type"] == "string" })?.key
            else { continue }
            return .toolCall(name, arguments: JSONWriter().string([parameter: .string(line)]), id: "call_\(request["messages"]?.arrayValue?.count ?? 0)")
        }
        return .text("I have no tool to use.")
    }
}
