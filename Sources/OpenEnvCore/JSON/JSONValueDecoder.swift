/// Decodes `Decodable` values from ``JSONValue`` with pydantic's validation rules.
///
/// - Keys of types are read in snake_case (``KeyCase``), dictionary keys verbatim.
/// - With ``forbidExtraKeys`` (the default, as for OpenEnv actions), an object member that
///   the type never asked for is an `extra_forbidden` issue.
/// - Lax coercions as in pydantic: `"5"` and `5.0` are integers, integers are floats,
///   `"true"`/`"false"`/`0`/`1` are booleans; numbers are *not* strings.
/// - `String`-backed enums that are `CaseIterable` report `literal_error` with the
///   allowed values.
///
/// Errors are thrown as ``ValidationFailure`` whose issue locations are relative to the
/// decoded value.
public struct JSONValueDecoder: Sendable {
    public var forbidExtraKeys: Bool

    public init(forbidExtraKeys: Bool = true) { self.forbidExtraKeys = forbidExtraKeys }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(ValidationFailure) -> T {
        let state = DecodingState()
        let result: T
        do {
            result = try state.decode(T.self, from: value, path: [])
        } catch let failure as ValidationFailure {
            var issues = failure.issues
            if forbidExtraKeys { issues += state.extraKeyIssues() }
            throw ValidationFailure(issues)
        } catch let issue as ValidationIssue {
            var issues = [issue]
            if forbidExtraKeys { issues += state.extraKeyIssues() }
            throw ValidationFailure(issues)
        } catch let error as DecodingError {
            throw ValidationFailure([Self.issue(from: error, root: value)])
        } catch {
            throw ValidationFailure([ValidationIssue(type: "value_error", loc: [], msg: "Value error, \(error)", input: value)])
        }
        if forbidExtraKeys {
            let extras = state.extraKeyIssues()
            if !extras.isEmpty { throw ValidationFailure(extras) }
        }
        return result
    }

    /// Maps a `DecodingError` thrown by a type's own `init(from:)` to a pydantic issue.
    static func issue(from error: DecodingError, root: JSONValue) -> ValidationIssue {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let loc = context.codingPath.map(DecodingState.locElement)
            return ValidationIssue(type: "value_error", loc: loc, msg: "Value error, \(context.debugDescription)", input: root)
        case .keyNotFound(let key, let context):
            let loc = (context.codingPath + [key]).map(DecodingState.locElement)
            return ValidationIssue(type: "missing", loc: loc, msg: "Field required", input: root)
        @unknown default:
            return ValidationIssue(type: "value_error", loc: [], msg: "Value error", input: root)
        }
    }
}

/// Decoding of values that bypass `init(from:)`: raw JSON, dictionaries, enums.
protocol StringKeyedDictionaryDecodable {
    static func decodeMembers(_ object: JSONObject, state: DecodingState, path: [JSONValue]) throws -> Self
}

extension Dictionary: StringKeyedDictionaryDecodable where Key == String, Value: Decodable {
    static func decodeMembers(_ object: JSONObject, state: DecodingState, path: [JSONValue]) throws -> Self {
        var result: [String: Value] = [:]
        for member in object {
            result[member.key] = try state.decode(Value.self, from: member.value, path: path + [.string(member.key)])
        }
        return result
    }
}

/// Shared bookkeeping for one decode: which object members were read.
final class DecodingState {
    private struct Visit {
        var path: [JSONValue]
        var object: JSONObject
        /// Bit i set: member i was read (objects of up to 64 members; larger ones use `readKeys`).
        var readMask: UInt64 = 0
        var readKeys: Set<String> = []

        func wasRead(_ index: Int) -> Bool {
            index < 64 ? readMask & (1 << UInt64(index)) != 0 : readKeys.contains(object[index].key)
        }
    }

    private var visits: [Visit] = []

    static func locElement(_ key: any CodingKey) -> JSONValue {
        if let index = key.intValue { return .int(index) }
        return .string(KeyCase.snake(key.stringValue))
    }

    func register(_ object: JSONObject, path: [JSONValue]) -> Int {
        visits.append(Visit(path: path, object: object))
        return visits.count - 1
    }

    /// Looks `key` up in the visited object and records that it was asked for.
    func read(_ key: String, visit: Int) -> JSONValue? {
        let object = visits[visit].object
        guard let index = object.position(of: key) else { return nil }
        if index < 64 { visits[visit].readMask |= 1 << UInt64(index) } else { visits[visit].readKeys.insert(key) }
        return object[index].value
    }

    /// Members no container asked for. A value decoded through several containers (a
    /// type reading a discriminator, then its payload) counts the reads of all of them.
    func extraKeyIssues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for (n, visit) in visits.enumerated() {
            // A value decoded through several containers (a discriminator, then its payload)
            // counts the reads of all of them; report each path once.
            if visits[..<n].contains(where: { $0.path == visit.path }) { continue }
            let twins = visits[n...].filter { $0.path == visit.path }
            for index in visit.object.indices where !twins.contains(where: { $0.wasRead(index) }) {
                let member = visit.object[index]
                issues.append(ValidationIssue(
                    type: "extra_forbidden", loc: visit.path + [.string(member.key)],
                    msg: "Extra inputs are not permitted", input: member.value))
            }
        }
        return issues
    }

    func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, path: [JSONValue]) throws -> T {
        try decode(T.self, from: value, at: path)
    }

    /// Decodes `T`; `path` is only evaluated for nested containers and errors, so leaves
    /// cost no path allocation.
    func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, at path: @autoclosure () -> [JSONValue]) throws -> T {
        if T.self == JSONValue.self { return unsafeBitCast(value, to: T.self) }
        if T.self == String.self {
            guard case .string(let s) = value else { throw Self.typeIssue("string_type", "Input should be a valid string", value, path()) }
            return unsafeBitCast(s, to: T.self)
        }
        if T.self == Int.self {
            if case .int(let i) = value { return unsafeBitCast(i, to: T.self) }
            return unsafeBitCast(try decodeInt(value, path()), to: T.self)
        }
        if T.self == Double.self { return unsafeBitCast(try decodeDouble(value, path()), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try decodeBool(value, path()), to: T.self) }
        let path = path()
        if T.self == JSONObject.self {
            guard case .object(let object) = value else { throw Self.typeIssue("dict_type", "Input should be a valid dictionary", value, path) }
            return unsafeBitCast(object, to: T.self)
        }
        if let enumType = T.self as? any (CaseIterable & RawRepresentable).Type,
            let decoded = try Self.decodeLiteral(enumType, value, path) as? T
        {
            return decoded
        }
        if let dictionary = T.self as? any StringKeyedDictionaryDecodable.Type {
            guard case .object(let object) = value else { throw Self.typeIssue("dict_type", "Input should be a valid dictionary", value, path) }
            return try dictionary.decodeMembers(object, state: self, path: path) as! T
        }
        return try T(from: ValueDecoder(state: self, value: value, path: path))
    }

    private static func decodeLiteral<E: CaseIterable & RawRepresentable>(_ type: E.Type, _ value: JSONValue, _ path: [JSONValue]) throws -> E? {
        let cases = Array(E.allCases)
        for candidate in cases {
            if let raw = candidate.rawValue as? String, value.stringValue == raw { return candidate }
            if let raw = candidate.rawValue as? Int, value.intValue == raw, value.boolValue == nil { return candidate }
        }
        let expected = cases.map { c -> String in
            if let raw = c.rawValue as? String { return "'\(raw)'" }
            return "\(c.rawValue)"
        }
        let text = expected.count <= 1 ? expected.joined() : expected.dropLast().joined(separator: ", ") + " or " + expected.last!
        throw ValidationIssue(type: "literal_error", loc: path, msg: "Input should be \(text)", input: value,
                              ctx: ["expected": .string(text)])
    }

    static func typeIssue(_ type: String, _ msg: String, _ value: JSONValue, _ path: [JSONValue]) -> ValidationIssue {
        ValidationIssue(type: type, loc: path, msg: msg, input: value)
    }

    func decodeString(_ value: JSONValue, _ path: [JSONValue]) throws -> String {
        guard case .string(let s) = value else { throw Self.typeIssue("string_type", "Input should be a valid string", value, path) }
        return s
    }

    func decodeInt(_ value: JSONValue, _ path: [JSONValue]) throws -> Int {
        switch value {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d.rounded() == d, abs(d) < 9.2e18 else {
                if d.isFinite {
                    throw Self.typeIssue("int_from_float", "Input should be a valid integer, got a number with a fractional part", value, path)
                }
                throw Self.typeIssue("finite_number", "Input should be a finite number", value, path)
            }
            return Int(d)
        case .string(let s):
            if let i = Int(s.trimmingSpaces) { return i }
            throw Self.typeIssue("int_parsing", "Input should be a valid integer, unable to parse string as an integer", value, path)
        default:
            throw Self.typeIssue("int_type", "Input should be a valid integer", value, path)
        }
    }

    func decodeDouble(_ value: JSONValue, _ path: [JSONValue]) throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s):
            if let d = Double(s.trimmingSpaces) { return d }
            throw Self.typeIssue("float_parsing", "Input should be a valid number, unable to parse string as a number", value, path)
        default:
            throw Self.typeIssue("float_type", "Input should be a valid number", value, path)
        }
    }

    func decodeBool(_ value: JSONValue, _ path: [JSONValue]) throws -> Bool {
        switch value {
        case .bool(let b): return b
        case .int(0): return false
        case .int(1): return true
        case .string(let s):
            switch s.lowercased() {
            case "true", "yes", "on", "1", "t", "y": return true
            case "false", "no", "off", "0", "f", "n": return false
            default: break
            }
            throw Self.typeIssue("bool_parsing", "Input should be a valid boolean, unable to interpret input", value, path)
        default:
            throw Self.typeIssue("bool_type", "Input should be a valid boolean", value, path)
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return s
    }
}

struct ValueDecoder: Decoder {
    let state: DecodingState
    let value: JSONValue
    let path: [JSONValue]
    var codingPath: [any CodingKey] { path.map(PathKey.init) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw DecodingState.typeIssue("model_type", "Input should be a valid dictionary or instance of the model", value, path)
        }
        let visit = state.register(object, path: path)
        return KeyedDecodingContainer(KeyedContainer<Key>(state: state, object: object, path: path, visit: visit))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else {
            throw DecodingState.typeIssue("list_type", "Input should be a valid list", value, path)
        }
        return UnkeyedContainer(state: state, elements: array, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(state: state, value: value, path: path)
    }
}

/// A coding key rebuilt from a location element, for `codingPath`.
private struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ element: JSONValue) {
        if case .int(let i) = element { stringValue = String(i); intValue = i } else { stringValue = element.stringValue ?? ""; intValue = nil }
    }
    init?(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: DecodingState
    let object: JSONObject
    let path: [JSONValue]
    let visit: Int
    var codingPath: [any CodingKey] { path.map(PathKey.init) }

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    private func wireName(_ key: Key) -> String { KeyCase.snake(key.stringValue) }

    private func lookup(_ key: Key) -> (String, JSONValue?) {
        let name = wireName(key)
        return (name, state.read(name, visit: visit))
    }

    func contains(_ key: Key) -> Bool {
        let (_, value) = lookup(key)
        return value != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        let (_, value) = lookup(key)
        return value == nil || value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (name, value) = lookup(key)
        guard let value else {
            throw ValidationIssue(type: "missing", loc: path + [.string(name)], msg: "Field required", input: .object(object))
        }
        return try state.decode(T.self, from: value, at: path + [.string(name)])
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (name, value) = lookup(key)
        guard let value, value != .null else { return nil }
        return try state.decode(T.self, from: value, at: path + [.string(name)])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let (name, value) = lookup(key)
        return try ValueDecoder(state: state, value: value ?? .null, path: path + [.string(name)]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let (name, value) = lookup(key)
        return try ValueDecoder(state: state, value: value ?? .null, path: path + [.string(name)]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ValueDecoder(state: state, value: .object(object), path: path) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        let (name, value) = lookup(key)
        return ValueDecoder(state: state, value: value ?? .null, path: path + [.string(name)])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let state: DecodingState
    let elements: [JSONValue]
    let path: [JSONValue]
    var currentIndex = 0
    var codingPath: [any CodingKey] { path.map(PathKey.init) }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> (JSONValue, [JSONValue]) {
        guard !isAtEnd else {
            throw ValidationIssue(type: "missing", loc: path + [.int(currentIndex)], msg: "Field required", input: .array(elements))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], path + [.int(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, elementPath) = try next()
        return try state.decode(T.self, from: value, path: elementPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, elementPath) = try next()
        return try ValueDecoder(state: state, value: value, path: elementPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, elementPath) = try next()
        return try ValueDecoder(state: state, value: value, path: elementPath).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, elementPath) = try next()
        return ValueDecoder(state: state, value: value, path: elementPath)
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let state: DecodingState
    let value: JSONValue
    let path: [JSONValue]
    var codingPath: [any CodingKey] { path.map(PathKey.init) }

    func decodeNil() -> Bool { value == .null }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try state.decode(T.self, from: value, path: path) }
}
