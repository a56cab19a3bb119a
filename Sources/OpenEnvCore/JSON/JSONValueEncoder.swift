/// Encodes `Encodable` values into ``JSONValue`` for the wire.
///
/// Wire conventions applied, matching the reference's pydantic models:
/// - keys of types are written in snake_case (``KeyCase``), in declaration order;
/// - optional properties that are `nil` are written as `null` (pydantic always emits
///   declared optional fields), unless ``omitNilOptionals`` is set;
/// - `Double` values stay floats (`1.0` is written `1.0`), integers stay integers.
public struct JSONValueEncoder: Sendable {
    public var omitNilOptionals: Bool

    public init(omitNilOptionals: Bool = false) { self.omitNilOptionals = omitNilOptionals }

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let direct = value as? JSONValue { return direct }
        let box = EncodingBox(options: self)
        try box.encodeValue(value)
        return box.result ?? .object(JSONObject())
    }
}

/// A reference holding the value under construction; containers write into it.
final class EncodingBox {
    let options: JSONValueEncoder
    var result: JSONValue?
    var codingPath: [any CodingKey] = []

    init(options: JSONValueEncoder, codingPath: [any CodingKey] = []) {
        self.options = options
        self.codingPath = codingPath
    }

    func encodeValue<T: Encodable>(_ value: T) throws {
        result = try Self.convert(value, options: options, codingPath: codingPath)
    }

    static func convert<T: Encodable>(_ value: T, options: JSONValueEncoder, codingPath: [any CodingKey]) throws -> JSONValue {
        // Metatype comparisons are cheap; they spare a dynamic cast for the common leaves.
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return .int(unsafeBitCast(value, to: Int.self)) }
        if T.self == Double.self { return .double(unsafeBitCast(value, to: Double.self)) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == JSONValue.self { return unsafeBitCast(value, to: JSONValue.self) }
        if T.self == JSONObject.self { return .object(unsafeBitCast(value, to: JSONObject.self)) }
        switch value {
        case let v as Float: return .double(Double(v))
        case let v as any StringKeyedDictionaryEncodable:
            return .object(try v.encodeMembers(options: options, codingPath: codingPath))
        default:
            let box = EncodingBox(options: options, codingPath: codingPath)
            try value.encode(to: ValueEncoder(box: box))
            return box.result ?? .object(JSONObject())
        }
    }
}

/// Dictionaries with `String` keys encode as objects whose keys are kept verbatim.
protocol StringKeyedDictionaryEncodable {
    func encodeMembers(options: JSONValueEncoder, codingPath: [any CodingKey]) throws -> JSONObject
}

extension Dictionary: StringKeyedDictionaryEncodable where Key == String, Value: Encodable {
    func encodeMembers(options: JSONValueEncoder, codingPath: [any CodingKey]) throws -> JSONObject {
        var object = JSONObject()
        for key in self.keys.sorted() {
            object.appendUnchecked(key, try EncodingBox.convert(self[key]!, options: options, codingPath: codingPath))
        }
        return object
    }
}

private struct ValueEncoder: Encoder {
    let box: EncodingBox
    var codingPath: [any CodingKey] { box.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if box.result?.objectValue == nil { box.result = .object(JSONObject()) }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if box.result?.arrayValue == nil { box.result = .array([]) }
        return UnkeyedContainer(box: box)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(box: box) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    var codingPath: [any CodingKey] { box.codingPath }

    private func set(_ value: JSONValue, for key: Key) {
        guard case .object(var object) = box.result else { return }
        box.result = nil  // keep the object uniquely referenced while mutating
        object[KeyCase.snake(key.stringValue)] = value
        box.result = .object(object)
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try EncodingBox.convert(value, options: box.options, codingPath: codingPath), for: key)
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else if !box.options.omitNilOptionals { set(.null, for: key) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value, key) }

    private mutating func encodeOptional<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value { try encode(value, forKey: key) } else if !box.options.omitNilOptionals { set(.null, for: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = EncodingBox(options: box.options, codingPath: codingPath + [key])
        nested.result = .object(JSONObject())
        let parent = box
        return KeyedEncodingContainer(DeferredKeyedContainer<NestedKey>(box: nested) { value in
            guard case .object(var object) = parent.result else { return }
            object[KeyCase.snake(key.stringValue)] = value
            parent.result = .object(object)
        })
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        fatalError("nested unkeyed encoding containers are not supported by JSONValueEncoder")
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(box: box) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(box: box) }
}

/// A keyed container that writes its object into its parent each time it changes.
private struct DeferredKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    let commit: (JSONValue) -> Void
    var codingPath: [any CodingKey] { box.codingPath }

    private func set(_ value: JSONValue, for key: Key) {
        guard case .object(var object) = box.result else { return }
        object[KeyCase.snake(key.stringValue)] = value
        box.result = .object(object)
        commit(.object(object))
    }
    mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try EncodingBox.convert(value, options: box.options, codingPath: codingPath), for: key)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        fatalError("doubly nested encoding containers are not supported by JSONValueEncoder")
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        fatalError("nested unkeyed encoding containers are not supported by JSONValueEncoder")
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(box: box) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(box: box) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    var codingPath: [any CodingKey] { box.codingPath }
    var count: Int { box.result?.arrayValue?.count ?? 0 }

    private func append(_ value: JSONValue) {
        guard case .array(var array) = box.result else { return }
        box.result = nil
        array.append(value)
        box.result = .array(array)
    }
    mutating func encodeNil() throws { append(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        append(try EncodingBox.convert(value, options: box.options, codingPath: codingPath))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        fatalError("nested containers in arrays are not supported by JSONValueEncoder")
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        fatalError("nested containers in arrays are not supported by JSONValueEncoder")
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(box: box) }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let box: EncodingBox
    var codingPath: [any CodingKey] { box.codingPath }
    mutating func encodeNil() throws { box.result = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.result = try EncodingBox.convert(value, options: box.options, codingPath: codingPath)
    }
}
