/// Decodes an action straight from the JSON text of a step's `data` object, without parsing
/// the object into a ``JSONValue`` first: the decoding half of the `/ws` step fast path.
///
/// It reproduces ``JSONValueDecoder`` (with `forbidExtraKeys`, after the step's removal of an
/// object-valued `metadata`) for the action's own object and hands every member's value to
/// the same ``DecodingState`` rules, so lax coercions, enum literals and nested types decode
/// exactly as on the tree path. It never reports an error: any failure, any member left
/// unread, a repeated key or text outside ``JSONByteScanner``'s subset answers `nil`, and the
/// caller decodes with ``JSONValueDecoder``, which produces the pydantic-shaped errors.
package enum JSONBytesDecoder {
    /// Whether `T` decodes through its own `init(from:)` on the tree path (the types the
    /// tree decoder special-cases — raw JSON, dictionaries, literals, scalars — do not).
    package static func canDecode<T: Decodable>(_ type: T.Type) -> Bool {
        !(T.self == JSONValue.self || T.self == JSONObject.self || T.self == String.self || T.self == Int.self
            || T.self == Double.self || T.self == Bool.self || T.self is any (CaseIterable & RawRepresentable).Type
            || T.self is any StringKeyedDictionaryDecodable.Type)
    }

    /// `T` decoded from `object` (the bytes of one JSON object), or `nil` when the tree path
    /// must decide. `T` must pass ``canDecode(_:)``.
    package static func decodeAction<T: Decodable>(_ type: T.Type, from object: UnsafeBufferPointer<UInt8>) -> T? {
        guard let members = TopLevelObject(object) else { return nil }
        let state = DecodingState()
        guard let value = try? T(from: TopLevelDecoder(object: members, state: state)) else { return nil }
        guard members.allRead, !members.declined, state.extraKeyIssues().isEmpty else { return nil }
        return value
    }
}

/// Thrown inside the fast path to give up; never escapes ``JSONBytesDecoder``.
struct FastPathDeclined: Error {}

/// The members of the action's object, located by the scanner and read on demand.
private final class TopLevelObject {
    struct Member {
        var key: Range<Int>
        var value: Range<Int>
    }

    let scanner: JSONByteScanner
    let members: [Member]
    var readMask: UInt64 = 0
    /// A member's text did not parse (never expected after the scanner accepted it).
    var declined = false

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var scanner = JSONByteScanner(bytes)
        var members: [Member] = []
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        if !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                // Past 64 members (the read mask's width) the tree path decides, before the
                // repeated-key check below turns quadratic.
                guard members.count < 64, let key = scanner.string(), scanner.consume(UInt8(ascii: ":")),
                    let value = scanner.value(depth: 1)
                else { return nil }
                for member in members where scanner.bytes(member.key, equal: key) { return nil }
                // The step removes an object-valued `metadata` before decoding the action.
                if scanner.bytes(key, equal: "metadata"), bytes[value.lowerBound] == UInt8(ascii: "{") { continue }
                members.append(Member(key: key, value: value))
            } while scanner.consume(UInt8(ascii: ","))
            guard scanner.consume(UInt8(ascii: "}")) else { return nil }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return nil }
        self.scanner = scanner
        self.members = members
    }

    var allRead: Bool { members.count == 64 ? readMask == .max : readMask == (1 << UInt64(members.count)) - 1 }

    /// The value under `name`, marking it read (as ``DecodingState/read(_:visit:)`` does).
    func read(_ name: String) throws -> JSONValue? {
        for (index, member) in members.enumerated() where scanner.bytes(member.key, equalKey: name) {
            readMask |= 1 << UInt64(index)
            let bytes = scanner.bytes
            do {
                return try JSONParser.parse(UnsafeBufferPointer(rebasing: bytes[member.value]))
            } catch {
                declined = true
                throw FastPathDeclined()
            }
        }
        return nil
    }

    func key(at index: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[members[index].key]), as: UTF8.self)
    }
}

private struct TopLevelDecoder: Decoder {
    let object: TopLevelObject
    let state: DecodingState
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(TopLevelContainer<Key>(object: object, state: state))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw FastPathDeclined() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw FastPathDeclined() }
}

/// Mirrors the tree decoder's `KeyedContainer` at path `[]`, member for member.
private struct TopLevelContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: TopLevelObject
    let state: DecodingState
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] { object.members.indices.compactMap { Key(stringValue: object.key(at: $0)) } }

    private func lookup(_ key: Key) throws -> (String, JSONValue?) {
        let name = KeyCase.snake(key.stringValue)
        return (name, try object.read(name))
    }

    func contains(_ key: Key) -> Bool {
        (try? lookup(key).1) != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        let (_, value) = try lookup(key)
        return value == nil || value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (name, value) = try lookup(key)
        guard let value else { throw FastPathDeclined() }
        return try state.decode(T.self, from: value, at: [.string(name)])
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (name, value) = try lookup(key)
        guard let value, value != .null else { return nil }
        return try state.decode(T.self, from: value, at: [.string(name)])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let (name, value) = try lookup(key)
        return try ValueDecoder(state: state, value: value ?? .null, path: [.string(name)]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let (name, value) = try lookup(key)
        return try ValueDecoder(state: state, value: value ?? .null, path: [.string(name)]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { throw FastPathDeclined() }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        let (name, value) = try lookup(key)
        return ValueDecoder(state: state, value: value ?? .null, path: [.string(name)])
    }
}
