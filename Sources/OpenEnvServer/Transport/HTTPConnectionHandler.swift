import NIOCore
import NIOHTTP1
import OpenEnvCore

/// Serves plain HTTP requests on one connection: collects the body (up to a limit), routes
/// the request, writes the response in one piece.
///
/// NIO's pipelining handler (installed ahead of this one) delivers one request at a time,
/// so responses stay in order. Constant routes are answered on the event loop; others run
/// in a task that prefers the connection's event loop (or, for bodies larger than
/// ``OpenEnvServer/inlineMessageLimit``, the step pool), and the response is written back
/// on it.
///
/// A request must arrive whole within `requestTimeout` of the moment the connection became
/// idle (opened, or its last response written): a client that trickles its headers or body
/// (slowloris), or keeps an idle connection, is closed then (`408` first when part of a
/// request had arrived). The timer stops while a request is handled and when the connection
/// upgrades to a WebSocket (which has pings instead).
///
/// With an ``AccessGate``, a request is authenticated (and a CORS preflight answered) before
/// it is routed; a refused one never reaches a route.
///
/// Lives on its channel's event loop; never touched from elsewhere.
package final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    private let router: HTTPRouter
    private let bodyLimit: Int
    private let executor: EventLoopTaskExecutor?
    private let largeBodyExecutor: (any TaskExecutor)?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var bodyTooLarge = false
    private let requestTimeout: TimeAmount
    /// When the connection last became idle (opened, or its last response written); `nil`
    /// while a complete request is being handled.
    private var idleSince: NIODeadline?
    /// One timer per connection, re-armed lazily (not once per request: keep-alive traffic
    /// would pay a scheduled task per request).
    private var requestTimer: Scheduled<Void>?
    private let gate: AccessGate?
    private let metrics: ServerMetrics?
    /// Reads each request's `traceparent` (``ServerTracing``).
    private let tracing: ServerTracing?

    package init(
        router: HTTPRouter, bodyLimit: Int, executor: EventLoopTaskExecutor?, largeBodyExecutor: (any TaskExecutor)? = nil,
        requestTimeout: TimeAmount = .seconds(30), gate: AccessGate? = nil, metrics: ServerMetrics? = nil, tracing: ServerTracing? = nil
    ) {
        self.tracing = tracing
        self.gate = gate
        self.metrics = metrics
        self.router = router
        self.bodyLimit = bodyLimit
        self.executor = executor
        self.largeBodyExecutor = largeBodyExecutor
        self.requestTimeout = requestTimeout
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        idleSince = .now()
        armRequestTimer(at: .now() + requestTimeout, context: context)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        requestTimer = nil
    }

    private func armRequestTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        requestTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.requestTimerFired(context: context)
        }
    }

    private func requestTimerFired(context: ChannelHandlerContext) {
        requestTimer = nil
        guard let idleSince else {
            // A request is being handled: look again one period later.
            armRequestTimer(at: .now() + requestTimeout, context: context)
            return
        }
        let deadline = idleSince + requestTimeout
        guard deadline <= .now() else {
            armRequestTimer(at: deadline, context: context)
            return
        }
        if head != nil {
            head = nil
            write(.detail("Request timeout", status: .requestTimeout), keepAlive: false, context: context)
        } else {
            context.close(promise: nil)
        }
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            bodyTooLarge = false
        case .body(var chunk):
            guard !bodyTooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > bodyLimit {
                bodyTooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            idleSince = nil
            if bodyTooLarge {
                write(.detail("Request body too large", status: .payloadTooLarge), keepAlive: false, context: context)
                return
            }
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            metrics?.received(http: bytes.count)
            var principal: AccessPrincipal?
            var extraHeaders: [(String, String)] = []
            if let gate {
                if let preflight = gate.preflight(head) {
                    write(preflight, keepAlive: head.isKeepAlive, context: context)
                    return
                }
                extraHeaders = gate.corsHeaders(for: head)
                let upgrade = head.headers["upgrade"].contains { $0.lowercased() == "websocket" }
                switch gate.authorize(path: head.uri, headers: head.headers, webSocket: upgrade) {
                case .refuse(var response):
                    response.headers += extraHeaders
                    write(response, keepAlive: head.isKeepAlive, context: context)
                    return
                case .allow(let who):
                    principal = who
                }
            }
            respond(to: HTTPRequest(head: head, body: bytes, principal: principal), keepAlive: head.isKeepAlive, extraHeaders: extraHeaders, context: context)
        }
    }

    private func respond(to request: HTTPRequest, keepAlive: Bool, extraHeaders: [(String, String)], context: ChannelHandlerContext) {
        let (handler, parameters) = router.route(request.method, request.path)
        switch handler {
        case .constant(var response):
            response.headers += extraHeaders
            write(response, keepAlive: keepAlive, context: context)
        case .dynamic(let handle):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let executor: (any TaskExecutor)? =
                request.body.count > OpenEnvServer.inlineMessageLimit ? largeBodyExecutor ?? self.executor : self.executor
            let traceContext = tracing?.context(from: request.headers)
            Task(executorPreference: executor) {
                var answer = await ServerTracing.withContext(traceContext) {
                    await PreferredExecutor.$current.withValue(executor) { await handle(request, parameters) }
                }
                answer.headers += extraHeaders
                let response = answer
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.write(response, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(4)
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "server", value: "swift-openenv")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        metrics?.sent(http: response.body.count)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            idleSince = .now()
        } else {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
