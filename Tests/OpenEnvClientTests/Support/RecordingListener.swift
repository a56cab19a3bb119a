import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP listener that records the request head of every connection and
/// answers it with a fixed response (then closes), or never answers.
final class RecordingListener: Sendable {
    let port: Int
    private let channel: any Channel
    private let recorder: Recorder

    final class Recorder: Sendable {
        let heads = Mutex<[String]>([])
    }

    private init(port: Int, channel: any Channel, recorder: Recorder) {
        self.port = port
        self.channel = channel
        self.recorder = recorder
    }

    /// The request heads received so far, in arrival order.
    var requests: [String] { recorder.heads.withLock { $0 } }

    static func start(answering response: String?) async throws -> RecordingListener {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HeadHandler(recorder: recorder, response: response))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestFailure("listener has no port") }
        return RecordingListener(port: port, channel: channel, recorder: recorder)
    }

    func stop() async throws { try await channel.close() }

    private final class HeadHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let recorder: Recorder
        let response: String?
        var received = ""
        var answered = false

        init(recorder: Recorder, response: String?) {
            self.recorder = recorder
            self.response = response
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            guard !answered, let end = received.firstRange(of: "\r\n\r\n") else { return }
            answered = true
            let head = String(received[..<end.lowerBound])
            recorder.heads.withLock { $0.append(head) }
            guard let response else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
