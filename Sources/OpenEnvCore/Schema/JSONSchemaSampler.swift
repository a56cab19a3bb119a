/// Values that satisfy a JSON Schema, for clients that must act without knowing the
/// environment: the random policy (`openenv collect`), `openenv validate`'s random actions,
/// and `openenv bench`'s default action.
///
/// Handles the subset pydantic and swift-openenv publish: `$ref` into the same document,
/// `enum`, `const`, `anyOf`/`oneOf` (a branch other than `null` where there is one), `allOf`
/// (its first part), `type` (or the first type of a list other than `null`) with
/// `minimum`/`maximum`, `exclusiveMinimum`/`exclusiveMaximum`, `minLength`/`maxLength`,
/// `items`/`minItems`/`maxItems`, and `properties`/`required`. A schema without `type` is
/// an object. Nesting deeper than 16 schemas gives `null`.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let action = JSONSchemaSampler(schema).random(using: &rng)   // repeats for the same seed
/// let simplest = JSONSchemaSampler(schema).simplest()           // the same every time
/// ```
public struct JSONSchemaSampler: Sendable {
    /// The document `$ref`s point into (`#/$defs/...`).
    public let root: JSONValue

    /// The words random strings are drawn from; the simplest string is the first.
    public static let words = ["hello", "world", "agent", "step", "reward"]

    public init(_ root: JSONValue) { self.root = root }

    /// A random valid value of the root schema: a random enum member or branch, a number in
    /// bounds (integers in `minimum...minimum + 10` when unbounded above), a short word, up
    /// to two items, the required properties always and each optional one half the time.
    /// Draws only from `rng`, so a seeded generator repeats its values.
    public func random(using rng: inout some RandomNumberGenerator) -> JSONValue {
        var chooser = RandomChooser(rng: rng)
        defer { rng = chooser.rng }
        return value(for: root, choosing: &chooser, depth: 0)
    }

    /// The simplest valid value of the root schema, the same every time: the first enum
    /// member or branch, the lowest number in bounds, `false`, `"hello"` (padded or cut to
    /// the length bounds), the fewest items, and the required properties only.
    public func simplest() -> JSONValue {
        var chooser = FirstChooser()
        return value(for: root, choosing: &chooser, depth: 0)
    }

    private func value(for schema: JSONValue, choosing chooser: inout some Chooser, depth: Int) -> JSONValue {
        guard depth < 16, schema.objectValue != nil else { return .null }
        if let reference = schema["$ref"]?.stringValue, let target = resolve(reference) {
            return value(for: target, choosing: &chooser, depth: depth + 1)
        }
        if let choices = schema["enum"]?.arrayValue, !choices.isEmpty { return choices[chooser.index(below: choices.count)] }
        if let constant = schema["const"] { return constant }
        for key in ["anyOf", "oneOf"] {
            if let options = schema[key]?.arrayValue, !options.isEmpty {
                let usable = options.filter { $0["type"] != "null" }
                let pool = usable.isEmpty ? options : usable
                return value(for: pool[chooser.index(below: pool.count)], choosing: &chooser, depth: depth + 1)
            }
        }
        if let parts = schema["allOf"]?.arrayValue, let first = parts.first { return value(for: first, choosing: &chooser, depth: depth + 1) }
        let type = schema["type"]?.stringValue ?? schema["type"]?.arrayValue?.first(where: { $0 != "null" })?.stringValue
        switch type {
        case "string":
            var word = Self.words[chooser.index(below: Self.words.count)]
            if let minimum = schema["minLength"]?.intValue, word.count < minimum { word += String(repeating: "x", count: minimum - word.count) }
            if let maximum = schema["maxLength"]?.intValue, word.count > maximum { word = String(word.prefix(max(0, maximum))) }
            return .string(word)
        case "integer":
            let low = schema["minimum"]?.intValue ?? schema["exclusiveMinimum"]?.intValue.map { $0 &+ 1 } ?? 0
            let high = max(low, schema["maximum"]?.intValue ?? schema["exclusiveMaximum"]?.intValue.map { $0 &- 1 } ?? low &+ 10)
            return .int(low &+ Int(truncatingIfNeeded: chooser.offset(upTo: UInt64(truncatingIfNeeded: high &- low))))
        case "number":
            let low = schema["minimum"]?.doubleValue ?? schema["exclusiveMinimum"]?.doubleValue ?? 0
            let high = max(low, schema["maximum"]?.doubleValue ?? schema["exclusiveMaximum"]?.doubleValue ?? low + 1)
            return .double(low + (high - low) * chooser.fraction())
        case "boolean": return .bool(chooser.coin())
        case "null": return .null
        case "array":
            let count = max(schema["minItems"]?.intValue ?? 0, chooser.index(below: 3))
            let items = min(count, schema["maxItems"]?.intValue ?? count)
            return .array((0..<max(0, items)).map { _ in value(for: schema["items"] ?? [:], choosing: &chooser, depth: depth + 1) })
        default:
            var object = JSONObject()
            let properties = schema["properties"]?.objectValue ?? [:]
            let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let requiredSet = Set(required)
            // Required properties always; optional ones when the coin says so (half the
            // time at random), so actions whose every field is optional are not all empty.
            for member in properties where requiredSet.contains(member.key) || chooser.coin() {
                object[member.key] = value(for: member.value, choosing: &chooser, depth: depth + 1)
            }
            for name in required where properties[name] == nil { object[name] = [:] }
            return .object(object)
        }
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for token in reference.dropFirst().split(separator: "/") {
            guard let next = node[String(token).replacing("~1", with: "/").replacing("~0", with: "~")] else { return nil }
            node = next
        }
        return node
    }
}

/// How the sampler makes each choice.
private protocol Chooser {
    /// An index in `0..<count` (`count > 0`).
    mutating func index(below count: Int) -> Int
    /// A value in `0...bound`.
    mutating func offset(upTo bound: UInt64) -> UInt64
    /// A value in `0..<1`.
    mutating func fraction() -> Double
    mutating func coin() -> Bool
}

private struct RandomChooser<G: RandomNumberGenerator>: Chooser {
    var rng: G
    mutating func index(below count: Int) -> Int { Int(rng.next() % UInt64(count)) }
    mutating func offset(upTo bound: UInt64) -> UInt64 { bound == .max ? rng.next() : rng.next() % (bound + 1) }
    mutating func fraction() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
    mutating func coin() -> Bool { rng.next() & 1 == 1 }
}

private struct FirstChooser: Chooser {
    func index(below count: Int) -> Int { 0 }
    func offset(upTo bound: UInt64) -> UInt64 { 0 }
    func fraction() -> Double { 0 }
    func coin() -> Bool { false }
}
