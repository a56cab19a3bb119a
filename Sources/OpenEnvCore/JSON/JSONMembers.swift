/// A type that writes its own members as JSON text, for the `/ws` step fast path: its
/// observations skip the `Encodable` machinery of ``JSONFieldsEncoder`` (a keyed container
/// made and its generic metadata looked up per value, a type check and a dispatch per member),
/// which is most of the cost of a light step (docs/benchmarks.md).
///
/// The contract: ``writeMembers(to:)`` writes exactly the members, keys, order and values
/// that the type's `Encodable` conformance writes through ``JSONValueEncoder`` (snake_case
/// keys, `nil` as `null`), and no `metadata` member. The tree path keeps using the
/// conformance, so a mismatch shows as two paths answering differently; each conforming
/// environment has a test that plays both side by side.
package protocol JSONMembersWritable: Encodable {
    func writeMembers(to members: inout JSONMembers)
}

/// A member's key as written, `,"wire_name":`, escaped once when it is made. Keep one per
/// member in a `static let`: its bytes are never freed, so writing it retains nothing.
package struct JSONKey: @unchecked Sendable {  // immutable bytes, never freed
    fileprivate let prefix: UnsafeBufferPointer<UInt8>

    /// `wireName` as it goes on the wire (snake_case, as the conformance writes it).
    package init(_ wireName: String) {
        var bytes: [UInt8] = [UInt8(ascii: ",")]
        JSONWriter(style: .compact).writeString(wireName, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        let prefix = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = prefix.initialize(from: bytes)
        self.prefix = UnsafeBufferPointer(prefix)
    }
}

/// Appends `,"key":value` members to a buffer, values written as ``JSONWriter`` (compact)
/// writes them in a tree.
package struct JSONMembers {
    package var out: [UInt8]
    private let writer = JSONWriter(style: .compact)

    package init(appendingTo out: [UInt8]) { self.out = out }

    package mutating func write(_ key: JSONKey, _ value: Int) {
        out.append(contentsOf: key.prefix)
        writer.writeInteger(value, into: &out)
    }

    package mutating func write(_ key: JSONKey, _ value: Double) {
        out.append(contentsOf: key.prefix)
        writer.writeDouble(value, into: &out)
    }

    package mutating func write(_ key: JSONKey, _ value: String) {
        out.append(contentsOf: key.prefix)
        writer.writeString(value, into: &out)
    }

    package mutating func write(_ key: JSONKey, _ value: Bool) {
        out.append(contentsOf: key.prefix)
        out.append(contentsOf: value ? Self.true : Self.false)
    }

    package mutating func write(_ key: JSONKey, _ values: [Double]) {
        out.append(contentsOf: key.prefix)
        writer.writeDoubles(values, into: &out)
    }

    package mutating func write(_ key: JSONKey, _ values: [Int]) {
        out.append(contentsOf: key.prefix)
        writer.writeIntegers(values, into: &out)
    }

    package mutating func write(_ key: JSONKey, _ values: [String]) {
        out.append(contentsOf: key.prefix)
        writer.writeStrings(values, into: &out)
    }

    /// `null` for `nil`, as the tree encoder writes a `nil` optional.
    package mutating func write(_ key: JSONKey, _ value: Int?) {
        guard let value else { return writeNull(key) }
        write(key, value)
    }

    package mutating func write(_ key: JSONKey, _ value: String?) {
        guard let value else { return writeNull(key) }
        write(key, value)
    }

    package mutating func write(_ key: JSONKey, _ value: Double?) {
        guard let value else { return writeNull(key) }
        write(key, value)
    }

    package mutating func writeNull(_ key: JSONKey) {
        out.append(contentsOf: key.prefix)
        out.append(contentsOf: Self.null)
    }

    private static let `true` = Array("true".utf8)
    private static let `false` = Array("false".utf8)
    private static let null = Array("null".utf8)
}

extension JSONMembers {
    /// How values of `T` append their members to a buffer, when `T` writes its own
    /// (``JSONMembersWritable``); `nil` otherwise. Resolve it once per type: the conformance
    /// lookup is what it saves on every value.
    package static func writer<T: Encodable>(for type: T.Type) -> (@Sendable (T, inout [UInt8]) -> Void)? {
        guard let writable = T.self as? any JSONMembersWritable.Type else { return nil }
        func writer<W: JSONMembersWritable>(_: W.Type) -> @Sendable (T, inout [UInt8]) -> Void {
            { value, out in
                var members = JSONMembers(appendingTo: [])
                swap(&members.out, &out)  // keep the buffer uniquely referenced while it grows
                unsafeBitCast(value, to: W.self).writeMembers(to: &members)  // W is T
                swap(&members.out, &out)
            }
        }
        return writer(writable)
    }
}
