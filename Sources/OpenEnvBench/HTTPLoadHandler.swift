import NIOCore
import NIOHTTP1
import OpenEnvCore

/// Drives one keep-alive HTTP connection for a benchmark: `POST /reset {}`, warm-up, then
/// (when the coordinator says go) `steps` × `POST /step`, timing each response.
final class HTTPLoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private enum Phase { case resetting, warming(Int), waiting, measuring(Int), finished }

    private let target: BenchTarget
    private let stepBody: [UInt8]
    private let resetBody: [UInt8]
    private let steps: Int
    private let warmup: Int
    private let coordinator: LoadCoordinator
    private var phase = Phase.resetting
    private var status: HTTPResponseStatus = .ok
    private var sentAt: UInt64 = 0
    private var recorder: OutcomeRecorder
    private var context: ChannelHandlerContext?

    /// With `sessionID`, reset and steps address that HTTP-created session (swift-openenv's
    /// stateful HTTP); without, they are the reference's stateless calls.
    init(target: BenchTarget, action: JSONValue, sessionID: String?, steps: Int, warmup: Int, coordinator: LoadCoordinator) {
        self.target = target
        var step: JSONObject = ["action": action]
        var reset = JSONObject()
        if let sessionID {
            step["session_id"] = .string(sessionID)
            reset["session_id"] = .string(sessionID)
        }
        stepBody = JSONWriter().bytes(.object(step))
        resetBody = JSONWriter().bytes(.object(reset))
        self.steps = steps
        self.warmup = warmup
        self.coordinator = coordinator
        recorder = OutcomeRecorder(coordinator: coordinator, steps: steps)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        post("/reset", resetBody, context: context)
    }

    private func post(_ path: String, _ body: [UInt8], context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(target.host):\(target.port)")
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.count))
        if let token = target.bearerToken { headers.add(name: "authorization", value: "Bearer \(token)") }
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        sentAt = NIODeadline.now().uptimeNanoseconds
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: target.basePath + path, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = head.status
        case .body(let body):
            if status != .ok, recorder.outcome.errorSample == nil {
                recorder.outcome.errorSample = "HTTP \(status.code): " + (body.getString(at: body.readerIndex, length: min(300, body.readableBytes)) ?? "")
            }
        case .end: responseEnded(context: context)
        }
    }

    private func responseEnded(context: ChannelHandlerContext) {
        let failed = status != .ok
        switch phase {
        case .resetting:
            if failed { recorder.recordError(nil); finish(context: context); return }
            if warmup > 0 { phase = .warming(warmup); post("/step", stepBody, context: context) } else { becomeReady(context: context) }
        case .warming(let left):
            if failed { recorder.recordError(nil) }
            if left > 1 { phase = .warming(left - 1); post("/step", stepBody, context: context) } else { becomeReady(context: context) }
        case .measuring(let left):
            recorder.outcome.latencies.append(NIODeadline.now().uptimeNanoseconds &- sentAt)
            if failed { recorder.recordError(nil) }
            coordinator.stepDone()
            if left > 1 { phase = .measuring(left - 1); post("/step", stepBody, context: context) } else { finish(context: context) }
        case .waiting, .finished: break
        }
    }

    private func becomeReady(context: ChannelHandlerContext) {
        phase = .waiting
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        coordinator.ready { eventLoop.execute { bound.value.begin() } }
    }

    private func begin() {
        guard let context, case .waiting = phase else { return }
        if steps > 0 { phase = .measuring(steps); post("/step", stepBody, context: context) } else { finish(context: context) }
    }

    private func finish(context: ChannelHandlerContext) {
        phase = .finished
        recorder.report()
        context.close(promise: nil)
    }

    private var isFinished: Bool {
        if case .finished = phase { true } else { false }
    }

    func channelInactive(context: ChannelHandlerContext) {
        recorder.channelClosed(finished: isFinished)
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        recorder.caught(error)
        context.close(promise: nil)
    }
}
