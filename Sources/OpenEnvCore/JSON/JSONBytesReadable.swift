/// An action that reads its own common forms straight from the bytes of a step's `data`, for
/// the `/ws` step fast path: it skips the `Decodable` machinery of ``JSONBytesDecoder`` (a
/// keyed container made and its generic metadata looked up per action, a dispatch per member).
///
/// The contract: ``read(_:)`` answers a value only for text that the type's `Decodable`
/// conformance (through ``JSONValueDecoder``) decodes to that same value, and `nil` for
/// anything else, however valid; ``JSONBytesDecoder`` then decodes the text, and the tree path
/// reports what is wrong with it. Read the few forms clients send (``JSONFlatReader``) and
/// decline the rest.
package protocol JSONBytesReadable: Decodable {
    static func read(_ object: UnsafeBufferPointer<UInt8>) -> Self?
}

/// Reads a JSON object of simple members in order — `{"key": value, ...}` with optional
/// whitespace, keys and strings without escapes or control characters, integers without
/// fraction or exponent — and fails on anything else (the caller then declines).
package struct JSONFlatReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var members = 0

    package init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// `{`: the object starts.
    package mutating func begin() -> Bool {
        skipSpace()
        return take(UInt8(ascii: "{"))
    }

    /// The next member's key is `name` (the `,` before it read when it is not the first).
    package mutating func key(_ name: StaticString) -> Bool {
        skipSpace()
        if members > 0 {
            guard take(UInt8(ascii: ",")) else { return false }
            skipSpace()
        }
        members += 1
        guard take(UInt8(ascii: "\"")) else { return false }
        let length = name.utf8CodeUnitCount
        guard position + length < bytes.count, bytes[position + length] == UInt8(ascii: "\"") else { return false }
        for offset in 0..<length where bytes[position + offset] != name.utf8Start[offset] { return false }
        position += length + 1
        skipSpace()
        return take(UInt8(ascii: ":"))
    }

    /// A string without escapes or control characters, as its UTF-8 bytes.
    package mutating func string() -> UnsafeBufferPointer<UInt8>? {
        skipSpace()
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return UnsafeBufferPointer(rebasing: bytes[start..<position - 1])
            }
            guard byte >= 0x20, byte != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        return nil
    }

    /// An integer of at most 18 digits, without a leading zero (JSON's own rule), fraction
    /// or exponent.
    package mutating func integer() -> Int? {
        skipSpace()
        let negative = take(UInt8(ascii: "-"))
        let start = position
        var value = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            guard position - start < 18 else { return nil }
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        guard !(negative && value == 0) else { return nil }  // `-0`: left to the decoder
        return negative ? -value : value
    }

    /// `}` and nothing after it but whitespace: the object ends with the members read.
    package mutating func end() -> Bool {
        skipSpace()
        guard take(UInt8(ascii: "}")) else { return false }
        skipSpace()
        return position == bytes.count
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): position += 1
            default: return
            }
        }
    }
}

extension JSONBytesDecoder {
    /// How the step fast path decodes actions of type `T` (which must pass ``canDecode(_:)``):
    /// its own reader first when it is ``JSONBytesReadable``, then ``decodeAction(_:from:)``.
    package static func actionDecoder<T: Decodable>(_ type: T.Type) -> @Sendable (UnsafeBufferPointer<UInt8>) -> T? {
        guard let readable = T.self as? any JSONBytesReadable.Type else { return { decodeAction(T.self, from: $0) } }
        func reader<R: JSONBytesReadable>(_: R.Type) -> @Sendable (UnsafeBufferPointer<UInt8>) -> T? {
            { bytes in
                if let value = R.read(bytes) { return unsafeBitCast(value, to: T.self) }  // R is T
                return decodeAction(T.self, from: bytes)
            }
        }
        return reader(readable)
    }
}
