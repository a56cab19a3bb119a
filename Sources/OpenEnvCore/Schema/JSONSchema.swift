/// A type that states its own JSON Schema instead of having it derived.
///
/// Leaf types whose wire form is not what their Swift structure suggests (``JSONValue``,
/// ``Reward``, MCP actions) conform; everything else gets its schema from
/// ``JSONSchema/of(_:)``.
public protocol JSONSchemaProviding {
    static var jsonSchema: JSONValue { get }
}

/// Human-readable text for a type's schema: a title, a description and one description
/// per property (keyed by the Swift property name or the wire name).
public protocol JSONSchemaDescribed {
    static var schemaTitle: String { get }
    static var schemaDescription: String? { get }
    static var propertyDescriptions: [String: String] { get }
}

extension JSONSchemaDescribed {
    public static var schemaTitle: String { String(describing: Self.self) }
    public static var schemaDescription: String? { nil }
    public static var propertyDescriptions: [String: String] { [:] }
}

/// Derives JSON Schema (draft 2020-12 vocabulary, as pydantic emits it) from `Decodable`
/// types by decoding a probe value and recording what the type asks for.
///
/// Properties read with `decode` are required, those read with `decodeIfPresent` are
/// optional (`anyOf [T, null]`). `String`/`Int` enums that are `CaseIterable` become
/// `enum`s; `[String: T]` becomes an object with `additionalProperties`; `[T]` an array.
/// The schema therefore always describes the type the server actually decodes with.
public enum JSONSchema {
    /// The schema of `type`. `additionalProperties` is set on object schemas of types
    /// (not dictionaries) to `allowExtra`, mirroring pydantic's `extra` setting.
    public static func of<T: Decodable>(_ type: T.Type, allowExtra: Bool = false) -> JSONValue {
        let tracer = SchemaTracer(allowExtra: allowExtra)
        return tracer.schema(for: T.self)
    }
}

/// A dictionary type whose value schema can be traced.
protocol SchemaTraceableDictionary { static func valueSchema(_ tracer: SchemaTracer) -> JSONValue }
extension Dictionary: SchemaTraceableDictionary where Key == String, Value: Decodable {
    static func valueSchema(_ tracer: SchemaTracer) -> JSONValue { tracer.schema(for: Value.self) }
}

/// An array type whose element schema can be traced.
protocol SchemaTraceableArray { static func elementSchema(_ tracer: SchemaTracer) -> JSONValue }
extension Array: SchemaTraceableArray where Element: Decodable {
    static func elementSchema(_ tracer: SchemaTracer) -> JSONValue { tracer.schema(for: Element.self) }
}

/// Optional values are traced as their wrapped type or null.
protocol SchemaTraceableOptional { static func wrappedSchema(_ tracer: SchemaTracer) -> JSONValue }
extension Optional: SchemaTraceableOptional where Wrapped: Decodable {
    static func wrappedSchema(_ tracer: SchemaTracer) -> JSONValue { tracer.schema(for: Wrapped.self) }
}

final class SchemaTracer {
    let allowExtra: Bool
    private var depth = 0

    init(allowExtra: Bool) { self.allowExtra = allowExtra }

    func schema<T: Decodable>(for type: T.Type) -> JSONValue {
        if let provided = T.self as? any JSONSchemaProviding.Type { return provided.jsonSchema }
        if T.self == String.self { return ["type": "string"] }
        if T.self == Int.self || T.self == Int64.self || T.self == Int32.self { return ["type": "integer"] }
        if T.self == Double.self || T.self == Float.self { return ["type": "number"] }
        if T.self == Bool.self { return ["type": "boolean"] }
        if let e = T.self as? any (CaseIterable & RawRepresentable).Type { return Self.enumSchema(e) }
        if let o = T.self as? any SchemaTraceableOptional.Type {
            return ["anyOf": [o.wrappedSchema(self), ["type": "null"]]]
        }
        if let d = T.self as? any SchemaTraceableDictionary.Type {
            let value = d.valueSchema(self)
            return ["type": "object", "additionalProperties": value == [:] ? true : value]
        }
        if let a = T.self as? any SchemaTraceableArray.Type { return ["type": "array", "items": a.elementSchema(self)] }
        depth += 1
        defer { depth -= 1 }
        guard depth < 16 else { return [:] }
        let recorder = ObjectRecorder()
        _ = try? T(from: TracingDecoder(tracer: self, recorder: recorder))
        return recorder.schema(for: T.self, allowExtra: allowExtra)
    }

    static func enumSchema<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> JSONValue {
        var values: [JSONValue] = []
        var kind = "string"
        for c in E.allCases {
            if let s = c.rawValue as? String { values.append(.string(s)) }
            if let i = c.rawValue as? Int { values.append(.int(i)); kind = "integer" }
        }
        var schema: JSONObject = ["enum": .array(values), "type": .string(kind)]
        if let described = type as? any JSONSchemaDescribed.Type {
            schema["title"] = .string(described.schemaTitle)
        }
        return .object(schema)
    }

    /// A placeholder value that lets decoding proceed past `T`.
    func probe<T: Decodable>(_ type: T.Type) -> T? {
        if T.self == String.self { return "" as? T }
        if T.self == Int.self { return 0 as? T }
        if T.self == Double.self { return 0.0 as? T }
        if T.self == Bool.self { return false as? T }
        if T.self == JSONValue.self { return JSONValue.null as? T }
        if T.self == JSONObject.self { return JSONObject() as? T }
        if let e = T.self as? any (CaseIterable & RawRepresentable).Type { return Self.firstCase(e) as? T }
        return try? T(from: TracingDecoder(tracer: self, recorder: ObjectRecorder()))
    }

    static func firstCase<E: CaseIterable>(_ type: E.Type) -> E? { E.allCases.first }
}

/// Collects the properties one type asks for.
final class ObjectRecorder {
    var properties = JSONObject()
    var required: [String] = []

    func record(_ name: String, schema: JSONValue, required isRequired: Bool) {
        guard properties[name] == nil else { return }
        properties[name] = isRequired ? schema : .object(["anyOf": [schema, ["type": "null"]], "default": .null])
        if isRequired { required.append(name) }
    }

    func schema<T>(for type: T.Type, allowExtra: Bool) -> JSONValue {
        var object = JSONObject()
        var title = String(describing: T.self)
        var descriptions: [String: String] = [:]
        if let described = T.self as? any JSONSchemaDescribed.Type {
            title = described.schemaTitle
            if let d = described.schemaDescription { object["description"] = .string(d) }
            descriptions = described.propertyDescriptions
        }
        var props = JSONObject()
        for member in properties {
            var schema = member.value
            let description = descriptions[member.key] ?? descriptions.first { KeyCase.snake($0.key) == member.key }?.value
            if let description, case .object(var o) = schema {
                o["description"] = .string(description)
                schema = .object(o)
            }
            props.appendUnchecked(member.key, schema)
        }
        object["additionalProperties"] = .bool(allowExtra)
        object["properties"] = .object(props)
        if !required.isEmpty { object["required"] = .array(required.map(JSONValue.string)) }
        object["title"] = .string(title)
        object["type"] = "object"
        return .object(object)
    }
}

private struct TracingDecoder: Decoder {
    let tracer: SchemaTracer
    let recorder: ObjectRecorder
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(TracingKeyed<Key>(tracer: tracer, recorder: recorder))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { EmptyUnkeyed() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { TracingSingle(tracer: tracer) }
}

private struct TracingKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let tracer: SchemaTracer
    let recorder: ObjectRecorder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        recorder.record(KeyCase.snake(key.stringValue), schema: tracer.schema(for: T.self), required: true)
        guard let value = tracer.probe(T.self) else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: [key], debugDescription: "schema probe"))
        }
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        recorder.record(KeyCase.snake(key.stringValue), schema: tracer.schema(for: T.self), required: false)
        return nil
    }

    // The standard library's concrete `decodeIfPresent` overloads would otherwise go
    // through `decodeNil`, hiding that the property is optional.
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodeIfPresent(type, optionalKey: key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeIfPresent(type, optionalKey: key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeIfPresent(type, optionalKey: key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodeIfPresent(type, optionalKey: key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodeIfPresent(type, optionalKey: key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decodeIfPresent(type, optionalKey: key) }

    private func decodeIfPresent<T: Decodable>(_ type: T.Type, optionalKey key: Key) throws -> T? {
        recorder.record(KeyCase.snake(key.stringValue), schema: tracer.schema(for: T.self), required: false)
        return nil
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(TracingKeyed<NestedKey>(tracer: tracer, recorder: ObjectRecorder()))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { EmptyUnkeyed() }
    func superDecoder() throws -> any Decoder { TracingDecoder(tracer: tracer, recorder: recorder) }
    func superDecoder(forKey key: Key) throws -> any Decoder { TracingDecoder(tracer: tracer, recorder: ObjectRecorder()) }
}

private struct EmptyUnkeyed: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }
    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        throw DecodingError.valueNotFound(T.self, .init(codingPath: [], debugDescription: "schema probe"))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.valueNotFound(Int.self, .init(codingPath: [], debugDescription: "schema probe"))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { self }
    mutating func superDecoder() throws -> any Decoder {
        throw DecodingError.valueNotFound(Int.self, .init(codingPath: [], debugDescription: "schema probe"))
    }
}

private struct TracingSingle: SingleValueDecodingContainer {
    let tracer: SchemaTracer
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard let value = tracer.probe(T.self) else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: [], debugDescription: "schema probe"))
        }
        return value
    }
}

extension JSONValue: JSONSchemaProviding {
    public static var jsonSchema: JSONValue { [:] }
}

extension JSONObject: JSONSchemaProviding {
    public static var jsonSchema: JSONValue { ["additionalProperties": true, "type": "object"] }
}
