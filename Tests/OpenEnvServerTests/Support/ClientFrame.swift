/// One client frame, built byte by byte (RFC 6455 §5.2).
struct ClientFrame: Sendable, CustomStringConvertible {
    var fin = true
    var rsv: UInt8 = 0
    var opcode: UInt8
    var payload: [UInt8]
    var masked = true

    var description: String { "opcode \(opcode), \(payload.count) bytes" }

    var bytes: [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126: out.append(maskBit | UInt8(payload.count))
        case ..<65536: out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: out += [maskBit | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return out + payload }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        return out + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }
}
