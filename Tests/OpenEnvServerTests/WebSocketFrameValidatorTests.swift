import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import OpenEnvServer

/// RFC 6455 on the server side, frame by frame: hand-built client frames go through NIO's
/// decoder and ``WebSocketFrameValidator`` in an `EmbeddedChannel`; what comes out (joined
/// messages, control frames, the close request of a failed connection) is recorded.
@Suite struct WebSocketFrameValidatorTests {
    /// The codes RFC 6455 §7.4.1 assigns (written out, not taken from the code under test).
    static let protocolError: UInt16 = 1002
    static let invalidPayload: UInt16 = 1007
    static let tooBig: UInt16 = 1009

    @Test func wholeMaskedMessagesPassUnchanged() throws {
        let harness = try Harness()
        try harness.feed(Frame(opcode: 0x1, payload: Array(#"{"type":"state"}"#.utf8)))
        try harness.feed(Frame(opcode: 0x2, payload: [0, 1, 2]))
        #expect(harness.recorder.messages == [.init(opcode: .text, bytes: Array(#"{"type":"state"}"#.utf8)), .init(opcode: .binary, bytes: [0, 1, 2])])
        #expect(harness.recorder.closeRequests.isEmpty)
    }

    @Test func fragmentsAreJoinedAndControlFramesMayComeBetweenThem() throws {
        let harness = try Harness()
        // "é" (C3 A9) split across two fragments is still valid UTF-8 as a message.
        try harness.feed(Frame(fin: false, opcode: 0x1, payload: [0x61, 0xC3]))
        try harness.feed(Frame(opcode: 0x9, payload: Array("hi".utf8)))  // ping in between
        try harness.feed(Frame(fin: false, opcode: 0x0, payload: [0xA9]))
        try harness.feed(Frame(opcode: 0x0, payload: [0x62]))
        #expect(harness.recorder.messages == [.init(opcode: .ping, bytes: Array("hi".utf8)), .init(opcode: .text, bytes: [0x61, 0xC3, 0xA9, 0x62])])
        #expect(harness.recorder.closeRequests.isEmpty)
    }

    @Test(arguments: [
        ("unmasked frame", Frame(opcode: 0x1, payload: Array("{}".utf8), masked: false), protocolError),
        ("RSV1 without an extension", Frame(rsv: 0b100, opcode: 0x1, payload: Array("{}".utf8)), protocolError),
        ("RSV2", Frame(rsv: 0b010, opcode: 0x1, payload: []), protocolError),
        ("RSV3 on a ping", Frame(rsv: 0b001, opcode: 0x9, payload: []), protocolError),
        ("reserved data opcode 0x3", Frame(opcode: 0x3, payload: []), protocolError),
        ("reserved data opcode 0x7", Frame(opcode: 0x7, payload: [1]), protocolError),
        ("reserved control opcode 0xB", Frame(opcode: 0xB, payload: []), protocolError),
        ("reserved control opcode 0xF", Frame(opcode: 0xF, payload: []), protocolError),
        ("continuation without a message", Frame(opcode: 0x0, payload: [0x61]), protocolError),
        ("ping of 126 bytes", Frame(opcode: 0x9, payload: Array(repeating: 0x61, count: 126)), protocolError),
        ("fragmented ping", Frame(fin: false, opcode: 0x9, payload: []), protocolError),
        ("fragmented close", Frame(fin: false, opcode: 0x8, payload: [0x03, 0xE8]), protocolError),
        ("close with a 1-byte body", Frame(opcode: 0x8, payload: [0x03]), protocolError),
        ("close code 999", Frame(opcode: 0x8, payload: [0x03, 0xE7]), protocolError),
        ("close code 1005 (reserved)", Frame(opcode: 0x8, payload: [0x03, 0xED]), protocolError),
        ("close code 1006 (reserved)", Frame(opcode: 0x8, payload: [0x03, 0xEE]), protocolError),
        ("close code 1015 (reserved)", Frame(opcode: 0x8, payload: [0x03, 0xF7]), protocolError),
        ("close code 2999 (unassigned)", Frame(opcode: 0x8, payload: [0x0B, 0xB7]), protocolError),
        ("close code 5000", Frame(opcode: 0x8, payload: [0x13, 0x88]), protocolError),
        ("close reason not UTF-8", Frame(opcode: 0x8, payload: [0x03, 0xE8, 0xFF, 0xFE]), invalidPayload),
        ("text with a lone continuation byte", Frame(opcode: 0x1, payload: [0x61, 0x80]), invalidPayload),
        ("text with an overlong slash (C0 AF)", Frame(opcode: 0x1, payload: [0xC0, 0xAF]), invalidPayload),
        ("text with a UTF-16 surrogate (ED A0 80)", Frame(opcode: 0x1, payload: [0xED, 0xA0, 0x80]), invalidPayload),
        ("text beyond U+10FFFF (F4 90 80 80)", Frame(opcode: 0x1, payload: [0xF4, 0x90, 0x80, 0x80]), invalidPayload),
        ("text cut inside a character", Frame(opcode: 0x1, payload: [0x61, 0xE2, 0x82]), invalidPayload),
        ("message over the limit", Frame(opcode: 0x2, payload: Array(repeating: 0, count: 1025)), tooBig),
    ] as [(String, Frame, UInt16)])
    func violationsFailTheConnectionWithTheirCode(_ name: String, _ frame: Frame, _ code: UInt16) throws {
        let harness = try Harness(maxMessageSize: 1024)
        try harness.feed(frame)
        #expect(harness.recorder.messages.isEmpty, "\(name): nothing may be delivered")
        #expect(harness.recorder.closeRequests.map(\.code) == [code], "\(name)")
        #expect(harness.recorder.closeRequests.allSatisfy { $0.immediately })
        // Nothing after a violation is delivered either.
        try harness.feed(Frame(opcode: 0x1, payload: Array("{}".utf8)))
        #expect(harness.recorder.messages.isEmpty)
        #expect(harness.recorder.closeRequests.count == 1)
    }

    @Test func sequenceViolationsAcrossFramesFailTheConnection() throws {
        // A new text frame while a fragmented message is unfinished.
        let interleaved = try Harness()
        try interleaved.feed(Frame(fin: false, opcode: 0x1, payload: [0x61]))
        try interleaved.feed(Frame(opcode: 0x1, payload: [0x62]))
        #expect(interleaved.recorder.closeRequests.map(\.code) == [Self.protocolError])
        #expect(interleaved.recorder.messages.isEmpty)

        // A message whose fragments add up to more than the limit.
        let tooLarge = try Harness(maxMessageSize: 1024)
        try tooLarge.feed(Frame(fin: false, opcode: 0x2, payload: Array(repeating: 0, count: 600)))
        try tooLarge.feed(Frame(opcode: 0x0, payload: Array(repeating: 0, count: 600)))
        #expect(tooLarge.recorder.closeRequests.map(\.code) == [Self.tooBig])

        // Invalid UTF-8 that only shows once the fragments are joined (a cut character).
        let cut = try Harness()
        try cut.feed(Frame(fin: false, opcode: 0x1, payload: [0xE2, 0x82]))
        try cut.feed(Frame(opcode: 0x0, payload: [0x61]))
        #expect(cut.recorder.closeRequests.map(\.code) == [Self.invalidPayload])
    }

    @Test func validCloseFramesPass() throws {
        for payload: [UInt8] in [[], [0x03, 0xE8], [0x03, 0xE8] + Array("bye".utf8), [0x0F, 0xA0]] {  // -, 1000, 1000 "bye", 4000
            let harness = try Harness()
            try harness.feed(Frame(opcode: 0x8, payload: payload))
            #expect(harness.recorder.messages == [.init(opcode: .connectionClose, bytes: payload)])
            #expect(harness.recorder.closeRequests.isEmpty)
        }
    }

    // MARK: Harness

    typealias Frame = ClientFrame

    struct Message: Equatable {
        var opcode: WebSocketOpcode
        var bytes: [UInt8]
    }

    /// Records what the validator passes on.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        var messages: [Message] = []
        var closeRequests: [(code: UInt16, immediately: Bool)] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            messages.append(Message(opcode: frame.opcode, bytes: Array(frame.unmaskedData.readableBytesView)))
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            guard let request = event as? WebSocketConnectionHandler.CloseRequest else { return }
            var buffer = ByteBuffer()
            buffer.write(webSocketErrorCode: request.code)
            closeRequests.append((buffer.readInteger(as: UInt16.self) ?? 0, request.immediately))
        }
    }

    struct Harness {
        let channel = EmbeddedChannel()
        let recorder = Recorder()

        init(maxMessageSize: Int = 1 << 20) throws {
            try channel.pipeline.syncOperations.addHandlers(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 21)),
                WebSocketFrameValidator(maxMessageSize: maxMessageSize),
                recorder)
        }

        func feed(_ frame: Frame) throws {
            var buffer = channel.allocator.buffer(capacity: frame.bytes.count)
            buffer.writeBytes(frame.bytes)
            try channel.writeInbound(buffer)
        }
    }
}
