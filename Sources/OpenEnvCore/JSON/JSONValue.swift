/// A JSON document held in memory, with object keys kept in the order they were written.
///
/// `JSONValue` is the currency of the wire layer: frames are parsed into it, envelopes are
/// read from it, and observations are encoded into it before being written as compact JSON.
/// Integers and floating-point numbers are distinct cases so that an integer reward (`3`)
/// and a float reward (`3.0`) survive a round trip, as they do on the reference's `/ws`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object whose members keep their insertion order.
///
/// Small objects (the protocol's frames) are looked up by a linear scan, the fastest choice
/// at their size. An object that grows past ``indexThreshold`` members also keeps a hash
/// index from key to position, so lookups, replacements and the parser's duplicate-key check
/// stay O(1) each: a 200,000-key object parses in linear time instead of n²/2 comparisons.
/// Setting an existing key replaces its value in place; equality and hashing consider the
/// members only.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
    }

    /// Objects with more members than this keep a key index.
    static let indexThreshold = 16

    public private(set) var members: [Member]
    /// Position of each key, kept only past ``indexThreshold`` members.
    private var positions: [String: Int]?

    public init() { members = [] }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = []
        members.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.members == rhs.members }
    public func hash(into hasher: inout Hasher) { hasher.combine(members) }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Member { members[position] }

    /// The keys in insertion order.
    public var keys: [String] { members.map(\.key) }

    /// The position of `key`'s member, or `nil`.
    public func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        for index in members.indices where members[index].key == key { return index }
        return nil
    }

    /// The value stored under `key`, or `nil`. Assigning `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let index = position(of: key) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                    rebuildPositions()
                }
            } else if let newValue {
                appendUnchecked(key, newValue)
            }
        }
    }

    /// Appends a member without checking for an existing key (used by the parser and
    /// encoder, which have checked or know each key is new).
    mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
        if positions != nil {
            positions![key] = members.count - 1
        } else if members.count > Self.indexThreshold {
            rebuildPositions()
        }
    }

    private mutating func rebuildPositions() {
        guard members.count > Self.indexThreshold else {
            positions = nil
            return
        }
        var positions = [String: Int](minimumCapacity: members.count)
        for (index, member) in members.enumerated() { positions[member.key] = index }
        self.positions = positions
    }

    public mutating func reserveCapacity(_ n: Int) { members.reserveCapacity(n) }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue {
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The value as an integer when it is an integer, or a float with no fractional part.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int(d)
        default: return nil
        }
    }

    /// The value as a floating-point number when it is any JSON number.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Member lookup on objects; `nil` for other kinds of value.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The name Python gives the type of this value (`list`, `int`, `str`, `NoneType`…),
    /// which the reference server embeds in some error messages.
    public var pythonTypeName: String {
        switch self {
        case .null: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .array: "list"
        case .object: "dict"
        }
    }
}
