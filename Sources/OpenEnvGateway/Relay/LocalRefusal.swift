import NIOCore
import NIOWebSocket

/// Answers an upgraded client connection the gateway itself refuses (every backend full, or
/// the session it names was lost): one error frame, then a close 1000, as the reference
/// refuses a session at capacity. The connection is closed when the client answers the
/// close, or after a second.
///
/// Must be used on its channel's event loop only.
final class LocalRefusal: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let frame: [UInt8]

    init(frame: [UInt8]) { self.frame = frame }

    func handlerAdded(context: ChannelHandlerContext) {
        var text = context.channel.allocator.buffer(capacity: frame.count)
        text.writeBytes(frame)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: text)), promise: nil)
        var code = context.channel.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .normalClosure)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(1)) { bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).opcode == .connectionClose { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
