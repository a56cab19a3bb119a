import NIOCore
import NIOWebSocket

/// Drives one `/ws` session for a benchmark, entirely on its event loop: reset, warm-up,
/// then (when the coordinator says go) `steps` step round trips, timing each, then close.
///
/// In hold mode it stops after the reset and waits: the coordinator later asks for one
/// step and then the close.
final class WebSocketLoadHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum Phase { case resetting, warming(Int), waiting, measuring(Int), holding, finished }

    private let stepFrame: [UInt8]
    private let steps: Int
    private let warmup: Int
    private let hold: Bool
    private let coordinator: LoadCoordinator
    private var phase = Phase.resetting
    private var sentAt: UInt64 = 0
    private var recorder: OutcomeRecorder
    private var context: ChannelHandlerContext?

    static let resetFrame = Array(#"{"type":"reset","data":{}}"#.utf8)
    static let closeFrame = Array(#"{"type":"close"}"#.utf8)

    init(stepFrame: [UInt8], steps: Int, warmup: Int, hold: Bool, coordinator: LoadCoordinator) {
        self.stepFrame = stepFrame
        self.steps = steps
        self.warmup = warmup
        self.hold = hold
        self.coordinator = coordinator
        recorder = OutcomeRecorder(coordinator: coordinator, steps: steps)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        send(Self.resetFrame, context: context)
    }

    private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func sendStep(context: ChannelHandlerContext) {
        sentAt = NIODeadline.now().uptimeNanoseconds
        send(stepFrame, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text: reply(frame.unmaskedData, context: context)
        case .connectionClose: finish(context: context)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        default: break
        }
    }

    private func isError(_ payload: ByteBuffer) -> Bool {
        // Replies start with {"type":"…"}; look at the type without parsing the JSON.
        let head = payload.getString(at: payload.readerIndex, length: min(payload.readableBytes, 24)) ?? ""
        return head.contains("\"error\"")
    }

    private func recordError(_ payload: ByteBuffer) {
        recorder.recordError(payload.getString(at: payload.readerIndex, length: min(payload.readableBytes, 300)))
    }

    private func reply(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        switch phase {
        case .resetting:
            if isError(payload) {
                recorder.outcome.refused = payload.getString(at: payload.readerIndex, length: payload.readableBytes)?.contains("CAPACITY_REACHED") ?? false
                recordError(payload)
                finish(context: context)
                return
            }
            if warmup > 0 {
                phase = .warming(warmup)
                sendStep(context: context)
            } else {
                becomeReady(context: context)
            }
        case .warming(let left):
            if isError(payload) { recordError(payload) }
            if left > 1 {
                phase = .warming(left - 1)
                sendStep(context: context)
            } else {
                becomeReady(context: context)
            }
        case .measuring(let left):
            recorder.outcome.latencies.append(NIODeadline.now().uptimeNanoseconds &- sentAt)
            if isError(payload) { recordError(payload) }
            coordinator.stepDone()
            if left > 1 {
                phase = .measuring(left - 1)
                sendStep(context: context)
            } else {
                close(context: context)
            }
        case .holding:
            if isError(payload) { recordError(payload) }
            coordinator.stepDone()
            phase = .waiting
        case .waiting, .finished:
            break
        }
    }

    private func becomeReady(context: ChannelHandlerContext) {
        phase = .waiting
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        coordinator.ready {
            eventLoop.execute { bound.value.begin() }
        }
    }

    /// Starts the measured phase (or, in hold mode, sends the one step).
    private func begin() {
        guard let context, case .waiting = phase else { return }
        if hold {
            phase = .holding
            sendStep(context: context)
        } else if steps > 0 {
            phase = .measuring(steps)
            sendStep(context: context)
        } else {
            close(context: context)
        }
    }

    /// Ends the session politely: a close message, then a close frame.
    func close(context: ChannelHandlerContext) {
        send(Self.closeFrame, context: context)
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)), promise: nil)
        phase = .finished
        recorder.report()
    }

    /// Closes from outside (hold mode's end).
    static func closeChannel(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(CloseNow())
    }

    struct CloseNow {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is CloseNow { close(context: context) } else { context.fireUserInboundEventTriggered(event) }
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
        phase = .finished
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        recorder.caught(error)
        context.close(promise: nil)
    }
}
