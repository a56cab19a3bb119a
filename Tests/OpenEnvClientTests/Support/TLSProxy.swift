import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS-terminating TCP proxy on loopback: accepts TLS with a self-signed certificate for
/// `localhost` (made with the `openssl` CLI) and forwards the plain bytes to a backend
/// port. Lets the tests drive a real server over `https`/`wss`.
final class TLSProxy: Sendable {
    let port: Int
    /// The proxy's certificate, to trust on the client side.
    let certificates: [NIOSSLCertificate]
    private let channel: any Channel
    private let directory: URL

    private init(port: Int, certificates: [NIOSSLCertificate], channel: any Channel, directory: URL) {
        self.port = port
        self.certificates = certificates
        self.channel = channel
        self.directory = directory
    }

    static func start(forwardingTo backendPort: Int) async throws -> TLSProxy {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw TestFailure("openssl could not make a certificate") }

        let certificates = try NIOSSLCertificate.fromPEMFile(certificate)
        let context = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let (front, back) = Glue.pair()
                let frontBound = NIOLoopBound(front, eventLoop: inbound.eventLoop)
                let backBound = NIOLoopBound(back, eventLoop: inbound.eventLoop)
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(backBound.value) }
                    }
                    .connect(host: "127.0.0.1", port: backendPort)
                    .flatMapThrowing { _ in
                        try inbound.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try inbound.pipeline.syncOperations.addHandler(frontBound.value)
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestFailure("proxy has no port") }
        return TLSProxy(port: port, certificates: certificates, channel: channel, directory: directory)
    }

    func stop() async throws {
        try await channel.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// One half of a pair of handlers that pass bytes between two channels on one event loop.
    private final class Glue: ChannelDuplexHandler {
        typealias InboundIn = NIOAny
        typealias OutboundIn = NIOAny
        typealias OutboundOut = NIOAny
        var partner: Glue?
        var context: ChannelHandlerContext?

        static func pair() -> (Glue, Glue) {
            let first = Glue()
            let second = Glue()
            first.partner = second
            second.partner = first
            return (first, second)
        }

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
            partner = nil
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }
        func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }
        func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
