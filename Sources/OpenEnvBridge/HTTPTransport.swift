import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP

/// MCP over Streamable HTTP (protocol 2025-06-18): each message is a POST of one JSON-RPC
/// message to the endpoint, answered with `application/json` or a `text/event-stream`
/// that carries the reply.
///
/// The `Mcp-Session-Id` the server assigns in its `initialize` answer is sent on every
/// later request, with `MCP-Protocol-Version`; a `404` for it means the server ended the
/// session, and the transport is then unavailable. ``close()`` deletes the session
/// (`DELETE`). Requests the server sends inside an event stream are not served (this
/// client declares no capabilities); the stream is read until the reply arrives.
actor HTTPTransport: MCPTransport {
    private let url: String
    private let maxMessageSize: Int
    private let logger: Logger
    private var sessionID: String?
    private var protocolVersion: String?
    private var nextID = 1
    private var endReason: String?

    init(url: String, maxMessageSize: Int, logger: Logger) {
        self.url = url
        self.maxMessageSize = maxMessageSize
        self.logger = logger
    }

    var isOpen: Bool { endReason == nil }

    func request(_ method: String, params: JSONObject, timeout: Duration) async throws(MCPTransportError) -> JSONValue {
        if let endReason { throw .unavailable(endReason) }
        let id = nextID
        nextID += 1
        let message = JSONRPC.request(id: id, method: method, params: params)
        do {
            let reply = try await withDeadline(timeout) {
                try await self.post(message, awaiting: id, timeout: timeout)
            } onTimeout: {
                MCPTransportError.timedOut(hint: nil)
            }
            if method == "initialize", case .success(let result) = JSONRPC.outcome(of: reply.message) {
                sessionID = reply.sessionID
                protocolVersion = result["protocolVersion"]?.stringValue
            }
            return try JSONRPC.outcome(of: reply.message).get()
        } catch let error as MCPTransportError {
            throw error
        } catch {
            throw .unavailable("the MCP server at \(url) cannot be reached: \(error)")
        }
    }

    func notify(_ method: String, params: JSONObject) async {
        guard endReason == nil else { return }
        do {
            _ = try await withDeadline(.seconds(10)) {
                try await self.post(JSONRPC.notification(method, params: params), awaiting: nil, timeout: .seconds(10))
            } onTimeout: {
                MCPTransportError.timedOut(hint: nil)
            }
        } catch {
            logger.warning("notification to the MCP server failed", metadata: ["method": "\(method)", "error": "\(error)"])
        }
    }

    func close() async {
        guard endReason == nil else { return }
        endReason = "the MCP server session was closed"
        guard let sessionID else { return }
        var request = HTTPClientRequest(url: url)
        request.method = .DELETE
        request.headers.add(name: "mcp-session-id", value: sessionID)
        do {
            let response = try await HTTPClient.openEnv.execute(request, timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            logger.debug("deleting the MCP session failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: One exchange

    private struct Reply: Sendable {
        var message: JSONObject
        var sessionID: String?
    }

    /// POSTs `message`; for a request (`id`), reads the reply from a JSON body or an event
    /// stream. For a notification, checks only the status.
    private func post(_ message: JSONValue, awaiting id: Int?, timeout: Duration) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "application/json, text/event-stream")
        if let sessionID { request.headers.add(name: "mcp-session-id", value: sessionID) }
        if let protocolVersion { request.headers.add(name: "mcp-protocol-version", value: protocolVersion) }
        request.body = .bytes(ByteBuffer(bytes: JSONWriter().bytes(message)))
        let response = try await HTTPClient.openEnv.execute(request, timeout: TimeAmount(timeout + .seconds(1)))
        let status = response.status.code
        if status == 404, sessionID != nil {
            let reason = "the MCP server ended the session (HTTP 404)"
            if endReason == nil { endReason = reason }
            throw MCPTransportError.unavailable(reason)
        }
        guard (200..<300).contains(status) else {
            let body = try await response.body.collect(upTo: maxMessageSize)
            throw MCPTransportError.invalidResponse(
                "HTTP \(status): \(JSONRPC.excerpt(body.readableBytesView, limit: 300))")
        }
        let assignedSession = response.headers.first(name: "mcp-session-id")
        guard let id else {
            _ = try await response.body.collect(upTo: maxMessageSize)
            return Reply(message: [:], sessionID: assignedSession)
        }
        let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            var parser = SSEParser(maxEventSize: maxMessageSize)
            for try await chunk in response.body {
                for event in try parser.append(chunk.readableBytesView) where event.type == "message" {
                    if let reply = try reply(in: Array(event.data.utf8), to: id) {
                        return Reply(message: reply, sessionID: assignedSession)
                    }
                }
            }
            throw MCPTransportError.invalidResponse("the event stream ended without a reply to request \(id)")
        }
        let body = try await response.body.collect(upTo: maxMessageSize)
        guard let reply = try reply(in: Array(body.readableBytesView), to: id) else {
            throw MCPTransportError.invalidResponse("no reply to request \(id) in \(JSONRPC.excerpt(body.readableBytesView))")
        }
        return Reply(message: reply, sessionID: assignedSession)
    }

    /// The reply to `id` in a JSON-RPC message or batch; `nil` for other messages.
    private func reply(in bytes: [UInt8], to id: Int) throws(MCPTransportError) -> JSONObject? {
        let messages: [JSONValue]
        switch try? JSONParser.parse(bytes) {
        case .object(let message)?: messages = [.object(message)]
        case .array(let items)?: messages = items
        default: throw .invalidResponse("not JSON-RPC: '\(JSONRPC.excerpt(bytes))'")
        }
        for case .object(let message) in messages where JSONRPC.responseID(message) == id { return message }
        for case .object(let message) in messages {
            if case .string(let method)? = message["method"] {
                logger.debug("message from the MCP server ignored", metadata: ["method": "\(method)"])
            }
        }
        return nil
    }
}
