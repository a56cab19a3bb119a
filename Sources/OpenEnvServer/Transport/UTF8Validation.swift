import NIOCore

/// UTF-8 validation of received bytes (RFC 3629: no overlongs, no surrogates, nothing past
/// U+10FFFF), with an ASCII fast path: WebSocket text messages and close reasons, HTTP JSON
/// bodies (which Python decodes strictly before parsing).
enum UTF8Validation {
    static func isValid(_ bytes: ByteBufferView) -> Bool {
        bytes.withContiguousStorageIfAvailable { isValid($0) } ?? isValid(Array(bytes))
    }

    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        var decoder = Unicode.UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
