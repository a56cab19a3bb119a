import NIOCore
import NIOEmbedded
import NIOWebSocket
import OpenEnvCore
import Testing

@testable import OpenEnvGateway

/// ``FrameRelay`` frame by frame on embedded channels: what each side writes is read back
/// from the other side's outbound buffer.
@Suite struct FrameRelayTests {
    let backend = BackendAddress(url: "http://10.0.0.7:8000", id: "server-7")!

    func pair() throws -> (client: EmbeddedChannel, backend: EmbeddedChannel) {
        let clientRelay = FrameRelay(side: .client, backend: backend)
        let backendRelay = FrameRelay(side: .backend, backend: backend)
        let client = EmbeddedChannel(handler: clientRelay)
        let backendChannel = EmbeddedChannel(handler: backendRelay)
        FrameRelay.join(clientRelay, backendRelay)
        return (client, backendChannel)
    }

    func text(_ string: String, fin: Bool = true, opcode: WebSocketOpcode = .text, mask: WebSocketMaskingKey? = nil) -> WebSocketFrame {
        var buffer = ByteBuffer(string: string)
        if let mask { buffer.webSocketMask(mask) }
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: mask, data: buffer)
    }

    @Test func aClientFrameReachesTheBackendWithItsOwnKeyAndItsBytesIntact() throws {
        let (client, backendChannel) = try pair()
        let key: WebSocketMaskingKey = [1, 2, 3, 4]
        try client.writeInbound(text(#"{"type":"step","data":{"action":"DOWN"}}"#, mask: key))
        let sent = try #require(try backendChannel.readOutbound(as: WebSocketFrame.self))
        // Unmasked here; NIO's encoder masks it with `key` again on the wire.
        #expect(sent.maskKey == key && sent.opcode == .text && sent.fin)
        #expect(String(buffer: sent.data) == #"{"type":"step","data":{"action":"DOWN"}}"#)
    }

    @Test func anUnmaskedClientFrameFailsTheConnectionWith1002() throws {
        let (client, backendChannel) = try pair()
        try client.writeInbound(text("hello"))
        #expect(try backendChannel.readOutbound(as: WebSocketFrame.self) == nil)
        let close = try #require(try client.readOutbound(as: WebSocketFrame.self))
        var data = close.data
        #expect(close.opcode == .connectionClose && data.readWebSocketErrorCode() == .protocolError)
    }

    @Test func backendFramesAndFragmentsPassUnchanged() throws {
        let (client, backendChannel) = try pair()
        try backendChannel.writeInbound(text(#"{"type":"observ"#, fin: false))
        try backendChannel.writeInbound(text(#"ation"}"#, fin: true, opcode: .continuation))
        let first = try #require(try client.readOutbound(as: WebSocketFrame.self))
        let second = try #require(try client.readOutbound(as: WebSocketFrame.self))
        #expect(first.opcode == .text && !first.fin && String(buffer: first.data) == #"{"type":"observ"#)
        #expect(second.opcode == .continuation && second.fin && String(buffer: second.data) == #"ation"}"#)
    }

    @Test func aBackendThatVanishesLeavesItsClientAnErrorFrameAndClose1011() throws {
        let (client, backendChannel) = try pair()
        try backendChannel.close().wait()
        let error = try #require(try client.readOutbound(as: WebSocketFrame.self))
        let json = try JSONParser.parse(Array(error.data.readableBytesView))
        #expect(json["type"] == "error" && json["data"]?["code"] == "BACKEND_LOST")
        let message = try #require(json["data"]?["message"]?.stringValue)
        #expect(message.contains("server-7 (http://10.0.0.7:8000)") && message.contains("not moved to another backend"))
        let close = try #require(try client.readOutbound(as: WebSocketFrame.self))
        var data = close.data
        #expect(close.opcode == .connectionClose && data.readWebSocketErrorCode() == .unexpectedServerError)
        #expect(data.readString(length: data.readableBytes) == "backend lost")
    }

    @Test func noErrorFrameInterruptsAMessageTheBackendLeftHalfSent() throws {
        let (client, backendChannel) = try pair()
        try backendChannel.writeInbound(text(#"{"type":"obs"#, fin: false))
        _ = try client.readOutbound(as: WebSocketFrame.self)
        try backendChannel.close().wait()
        let close = try #require(try client.readOutbound(as: WebSocketFrame.self))
        #expect(close.opcode == .connectionClose)
    }

    @Test func aHealthCheckVerdictFailsTheRelayWithItsCause() throws {
        let (client, backendChannel) = try pair()
        backendChannel.pipeline.fireUserInboundEventTriggered(FrameRelay.BackendLost(cause: "backend server-7 stopped answering its health checks (timeout)"))
        let error = try #require(try client.readOutbound(as: WebSocketFrame.self))
        #expect(String(buffer: error.data).contains("stopped answering its health checks (timeout)"))
    }

    @Test func aClientThatLeavesClosesTheBackendConnection() throws {
        let (client, backendChannel) = try pair()
        try client.close().wait()
        #expect(!backendChannel.isActive)
    }
}
