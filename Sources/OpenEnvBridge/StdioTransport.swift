import Logging
import OpenEnvCore

/// MCP over a child process's standard input and output: newline-delimited JSON-RPC 2.0.
///
/// Replies are matched to requests by id; requests the server sends (`ping`) are
/// answered, notifications are logged. Output that is not JSON-RPC is logged and
/// remembered, so a request that then times out says what the server printed instead.
/// When the process exits, pending and later requests fail with
/// ``MCPTransportError/unavailable(_:)`` naming its exit status.
actor StdioTransport: MCPTransport {
    private let process: ServerProcess
    private let logger: Logger
    private var pending: [Int: Pending] = [:]
    private var nextID = 1
    private var endReason: String?
    /// The last thing the server printed that was not a JSON-RPC message.
    private var lastNoise: String?

    private struct Pending {
        var continuation: CheckedContinuation<Result<JSONValue, MCPTransportError>, Never>
        var timer: Task<Void, Never>
    }

    private init(process: ServerProcess, logger: Logger) {
        self.process = process
        self.logger = logger
    }

    /// Starts `command` and begins reading its output.
    static func launch(_ command: [String], maxLineLength: Int, logger: Logger) async throws(MCPTransportError) -> StdioTransport {
        let (process, events) = try await ServerProcess.spawn(command, maxLineLength: maxLineLength, logger: logger)
        var logger = logger
        logger[metadataKey: "pid"] = "\(process.processID)"
        logger.info("started MCP server", metadata: ["command": "\(command.joined(separator: " "))"])
        let transport = StdioTransport(process: process, logger: logger)
        Task { [weak transport] in
            for await event in events { await transport?.handle(event) }
        }
        return transport
    }

    /// The server's process id (also its process group id).
    nonisolated var processID: Int32 { process.processID }

    var isOpen: Bool { endReason == nil }

    func request(_ method: String, params: JSONObject, timeout: Duration) async throws(MCPTransportError) -> JSONValue {
        if let endReason { throw .unavailable(endReason) }
        let id = nextID
        nextID += 1
        let line = JSONWriter().bytes(JSONRPC.request(id: id, method: method, params: params)) + [0x0A]
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let timer = Task { [weak self] in
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    await self?.abandon(id, because: .timedOut(hint: nil))
                }
                pending[id] = Pending(continuation: continuation, timer: timer)
                process.send(line)
            }
        } onCancel: {
            Task { await self.abandon(id, because: .unavailable("the request was cancelled")) }
        }
        return try outcome.get()
    }

    func notify(_ method: String, params: JSONObject) {
        guard endReason == nil else { return }
        process.send(JSONWriter().bytes(JSONRPC.notification(method, params: params)) + [0x0A])
    }

    func close() async {
        end("the MCP server connection was closed")
        await process.terminate()
    }

    // MARK: Incoming

    private func handle(_ event: ServerProcess.Event) {
        switch event {
        case .frame(.line(let bytes)):
            receive(bytes)
        case .frame(.oversized(let count)):
            noise("printed a line of more than \(count) bytes, which was dropped")
        case .exited(let status):
            logger.info("MCP server ended", metadata: ["status": "\(status)"])
            end("the MCP server exited (\(status))" + (lastNoise.map { "; before that it \($0)" } ?? ""))
        }
    }

    private func receive(_ bytes: [UInt8]) {
        guard case .object(let message)? = try? JSONParser.parse(bytes), message["jsonrpc"] == "2.0" else {
            noise("printed output that is not JSON-RPC: '\(JSONRPC.excerpt(bytes))'")
            return
        }
        if let id = JSONRPC.responseID(message) {
            guard let request = pending.removeValue(forKey: id) else {
                logger.debug("reply to no pending request", metadata: ["id": "\(id)"])
                return
            }
            request.timer.cancel()
            request.continuation.resume(returning: JSONRPC.outcome(of: message))
        } else if case .string(let method)? = message["method"] {
            if let id = message["id"] {
                answer(method, id: id)
            } else {
                logger.debug("notification from the MCP server", metadata: ["method": "\(method)"])
            }
        } else {
            noise("sent a JSON message that is neither a request nor a reply: '\(JSONRPC.excerpt(bytes))'")
        }
    }

    /// Answers a request from the server: `ping`; this client offers nothing else.
    private func answer(_ method: String, id: JSONValue) {
        let reply: JSONValue = method == "ping"
            ? ["jsonrpc": "2.0", "id": id, "result": [:]]
            : ["jsonrpc": "2.0", "id": id, "error": ["code": -32601, "message": .string("Method not found: \(method)")]]
        process.send(JSONWriter().bytes(reply) + [0x0A])
    }

    private func noise(_ what: String) {
        logger.warning("the MCP server \(what)")
        lastNoise = what
    }

    // MARK: Ending requests

    private func abandon(_ id: Int, because error: MCPTransportError) {
        guard let request = pending.removeValue(forKey: id) else { return }
        request.timer.cancel()
        var error = error
        if case .timedOut = error, let lastNoise { error = .timedOut(hint: "the server \(lastNoise)") }
        request.continuation.resume(returning: .failure(error))
        notify("notifications/cancelled", params: ["requestId": .int(id), "reason": .string("\(error)")])
    }

    private func end(_ reason: String) {
        if endReason == nil { endReason = reason }
        let requests = pending.values
        pending = [:]
        for request in requests {
            request.timer.cancel()
            request.continuation.resume(returning: .failure(.unavailable(reason)))
        }
    }
}
