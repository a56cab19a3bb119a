#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import OpenEnvCore
import OpenEnvServer

/// Coverage-guided fuzz targets for what reads hostile bytes first: the JSON parser and the
/// WebSocket frame path (NIO's decoder and ``WebSocketFrameValidator``).
///
///     swift build --product openenv-fuzz --sanitize fuzzer -Xswiftc -DOPENENV_FUZZ --scratch-path .build-fuzz
///     OPENENV_FUZZ_TARGET=json .build-fuzz/debug/openenv-fuzz -max_total_time=60 Fuzz/Corpus/json
///     OPENENV_FUZZ_TARGET=websocket .build-fuzz/debug/openenv-fuzz -max_total_time=60 Fuzz/Corpus/websocket
///
/// Built with `OPENENV_FUZZ`, libFuzzer's own `main` drives ``fuzzOneInput(_:_:)``. Built
/// without it (as every ordinary build does), the same target replays files instead:
/// `openenv-fuzz json FILE|DIR…` runs each input once (a regression check of saved crashes and
/// the corpus). A failed invariant traps, which libFuzzer reports as a crash with the input
/// that caused it.
#if OPENENV_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.fromEnvironment.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            FileHandle.standardError.write(Data("usage: openenv-fuzz json|websocket FILE|DIR...\n".utf8))
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst(2) {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target.run($0.bindMemory(to: UInt8.self)) }
                count += 1
            }
        }
        print("openenv-fuzz \(target.rawValue): replayed \(count) inputs, no invariant failed")
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}
#endif

enum FuzzTarget: String {
    case json
    case websocket

    /// The target a fuzzing run exercises: `OPENENV_FUZZ_TARGET` (default `json`).
    static let fromEnvironment = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["OPENENV_FUZZ_TARGET"] ?? "json") ?? .json

    func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .json: Self.json(bytes)
        case .websocket: Self.websocket(bytes)
        }
    }

    /// Any bytes: parsing returns or throws, never crashes; what parses writes back to text
    /// that parses to the same text again (non-finite numbers are written as `null`).
    static func json(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let writer = JSONWriter(style: .compact)
        let text = writer.string(value)
        guard let again = try? JSONParser.parse(text) else { fatalError("written JSON does not parse: \(text.prefix(200))") }
        precondition(writer.string(again) == text, "round trip changed the document")
    }

    /// Any bytes after the handshake: the decoder and validator deliver only whole, valid
    /// messages (text is UTF-8, at most the limit), fail the connection at most once, and
    /// deliver nothing after failing it.
    static func websocket(_ bytes: UnsafeBufferPointer<UInt8>) {
        let limit = 4096
        let channel = EmbeddedChannel()
        let checker = MessageChecker(limit: limit)
        try! channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 2 * limit)),
            WebSocketFrameValidator(maxMessageSize: limit),
            checker)
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        _ = try? channel.writeInbound(buffer)
        _ = try? channel.finish()
    }
}

/// Checks what reaches the connection handler.
final class MessageChecker: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let limit: Int
    var failed = false

    init(limit: Int) { self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        precondition(!failed, "a frame was delivered after the connection failed")
        precondition(frame.fin, "a fragment was delivered")
        let payload = frame.unmaskedData
        switch frame.opcode {
        case .text:
            precondition(payload.readableBytes <= limit)
            precondition(String(validating: payload.readableBytesView, as: UTF8.self) != nil, "invalid UTF-8 delivered")
        case .binary:
            precondition(payload.readableBytes <= limit)
        case .ping, .pong, .connectionClose:
            precondition(payload.readableBytes <= 125, "oversize control frame delivered")
        default:
            preconditionFailure("reserved opcode delivered")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        precondition(!failed, "the connection was failed twice")
        failed = true
    }
}
