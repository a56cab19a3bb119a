#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A WebSocket client on a plain TCP socket, for sending frames no library would send
/// (unmasked, reserved bits and opcodes, broken fragments) and seeing exactly what the
/// server answers: each frame, the close frame's code, and when the TCP connection ends.
final class RawWebSocket: @unchecked Sendable {
    struct Received: Equatable, CustomStringConvertible {
        var opcode: UInt8
        var payload: [UInt8]
        var closeCode: UInt16? { opcode == 0x8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
        var text: String { String(decoding: payload, as: UTF8.self) }
        var description: String { opcode == 0x8 ? "close \(closeCode.map(String.init) ?? "-")" : "opcode \(opcode): \(text.prefix(200))" }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and completes the opening handshake on `path`.
    init(port: Int, path: String = "/ws") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect() failed")
        }
        try send(Array(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        let head = try readHead(timeoutSeconds: 5)
        guard head.hasPrefix("HTTP/1.1 101") else { throw TestFailure("no upgrade: \(head)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send() failed") }
            offset += n
        }
    }

    func send(_ frame: ClientFrame) throws { try send(frame.bytes) }

    /// The next frame from the server (its pings are answered and skipped, as a client
    /// library does); `nil` once the server closed the TCP connection. Throws when nothing
    /// arrives within the timeout (a hang).
    func receive(timeoutSeconds: Double = 5) throws -> Received? {
        while true {
            if let frame = parseFrame() {
                guard frame.opcode == 0x9 else { return frame }
                try send(ClientFrame(opcode: 0xA, payload: frame.payload))
                continue
            }
            guard try fill(timeoutSeconds: timeoutSeconds) else { return nil }
        }
    }

    /// Frames until the server's close frame, then whether the TCP connection ended too.
    func receiveUntilClose(timeoutSeconds: Double = 5) throws -> (before: [Received], close: Received?, tcpClosed: Bool) {
        var before: [Received] = []
        while let frame = try receive(timeoutSeconds: timeoutSeconds) {
            if frame.opcode == 0x8 {
                // Answer the close, as a conforming client does (the server may have closed already).
                try? send(ClientFrame(opcode: 0x8, payload: Array(frame.payload.prefix(2))))
                let tcpClosed = (try? receive(timeoutSeconds: timeoutSeconds)) == .some(nil)
                return (before, frame, tcpClosed)
            }
            before.append(frame)
        }
        return (before, nil, true)
    }

    private func readHead(timeoutSeconds: Double) throws -> String {
        while true {
            if let end = findHeadEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            guard try fill(timeoutSeconds: timeoutSeconds) else { throw TestFailure("closed during the handshake") }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Reads more bytes; `false` at end of stream.
    private func fill(timeoutSeconds: Double) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeoutSeconds * 1000))
        guard ready > 0 else { throw TestFailure("no answer within \(timeoutSeconds) s") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }  // EOF, or a reset: the connection is gone either way
        buffer += chunk[..<n]
        return true
    }

    /// One complete server frame from the buffer (servers never mask).
    private func parseFrame() -> Received? {
        guard buffer.count >= 2 else { return nil }
        let opcode = buffer[0] & 0x0F
        var length = Int(buffer[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard buffer.count >= 4 else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            offset = 4
        } else if length == 127 {
            guard buffer.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
            offset = 10
        }
        guard buffer.count >= offset + length else { return nil }
        let payload = Array(buffer[offset..<(offset + length)])
        buffer.removeFirst(offset + length)
        return Received(opcode: opcode, payload: payload)
    }
}
