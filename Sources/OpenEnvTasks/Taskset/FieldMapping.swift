import OpenEnvCore

/// How a dataset row becomes an environment's task: which column feeds which field.
///
/// ```swift
/// // gsm8k rows {"question": …, "answer": "… #### 72"} → QATask {prompt, answer}
/// let mapping = FieldMapping(["prompt": "question", "answer": "answer"])
/// let task = try mapping.decode(QATask.self, from: row, split: "test", index: 3)
/// ```
///
/// Sources are column names, or dotted paths into nested objects (`meta.difficulty`).
/// Targets are the wire (snake_case) names of the task type's properties. Columns not
/// mapped are dropped unless ``keepUnmapped`` is set; ``defaults`` fill targets whose
/// source is missing or null. An empty mapping passes the row through unchanged.
public struct FieldMapping: Sendable, Equatable {
    /// target → source, in declaration order.
    public var fields: [(target: String, source: String)] {
        get { pairs.map { ($0.target, $0.source) } }
        set { pairs = newValue.map { Pair(target: $0.target, source: $0.source) } }
    }
    public var defaults: JSONObject
    public var keepUnmapped: Bool

    private struct Pair: Sendable, Equatable {
        var target: String
        var source: String
    }

    private var pairs: [Pair]

    public init(_ fields: KeyValuePairs<String, String> = [:], defaults: JSONObject = [:], keepUnmapped: Bool = false) {
        pairs = fields.map { Pair(target: $0.key, source: $0.value) }
        self.defaults = defaults
        self.keepUnmapped = keepUnmapped
    }

    public static let identity = FieldMapping()

    /// The mapped row. A missing source without a default is left out (decoding then
    /// reports the missing field, or uses an optional's `nil`).
    public func apply(_ row: JSONObject) -> JSONObject {
        guard !pairs.isEmpty else {
            var result = row
            for member in defaults where result[member.key] == nil || result[member.key]!.isNull { result[member.key] = member.value }
            return result
        }
        var result = JSONObject()
        if keepUnmapped {
            let sources = Set(pairs.map { String($0.source.split(separator: ".").first ?? "") })
            for member in row where !sources.contains(member.key) { result[member.key] = member.value }
        }
        for pair in pairs {
            if let value = Self.lookup(pair.source, in: row), !value.isNull {
                result[pair.target] = value
            } else if let value = defaults[pair.target] {
                result[pair.target] = value
            }
        }
        for member in defaults where result[member.key] == nil { result[member.key] = member.value }
        return result
    }

    /// The row mapped and decoded as `T` (extra keys allowed); a mismatch throws
    /// ``TasksetError/mapping(split:index:_:)`` naming the row and the fields.
    public func decode<T: Decodable>(_ type: T.Type, from row: JSONObject, split: String, index: Int) throws(TasksetError) -> T {
        do {
            return try JSONValueDecoder(forbidExtraKeys: false).decode(T.self, from: .object(apply(row)))
        } catch {
            throw .mapping(split: split, index: index, "\(error)")
        }
    }

    static func lookup(_ path: String, in row: JSONObject) -> JSONValue? {
        if let direct = row[path] { return direct }
        var current: JSONValue = .object(row)
        for key in path.split(separator: ".") {
            guard let next = current[String(key)] else { return nil }
            current = next
        }
        return current
    }
}
