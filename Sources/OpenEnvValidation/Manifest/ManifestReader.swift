import OpenEnvCore

/// Reads a JSON document field by field, collecting one precise message per problem
/// (`validation.reward.floor_margin: field required`) instead of stopping at the first.
struct ManifestReader {
    private(set) var errors: [String] = []

    mutating func error(_ path: String, _ message: String) { errors.append("\(path): \(message)") }

    /// `value` as an object whose keys are all in `allowed`, with every key of `required`.
    /// Unknown keys are errors naming the closest allowed key.
    mutating func object(_ value: JSONValue?, at path: String, allowed: [String], required: [String] = []) -> JSONObject? {
        guard let value else { return nil }
        guard let object = value.objectValue else {
            error(path, "must be a mapping, got \(Self.describe(value))")
            return nil
        }
        for key in object.keys where !allowed.contains(key) {
            let hint = Self.closest(to: key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
            error(path + "." + key, "unknown key\(hint); allowed keys: \(allowed.joined(separator: ", "))")
        }
        for key in required where object[key] == nil || object[key] == .null {
            error(path + "." + key, "field required")
        }
        return object
    }

    mutating func number(_ object: JSONObject, _ key: String, at path: String, greaterThan lower: Double? = nil, atLeast minimum: Double? = nil) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard let number = value.doubleValue else {
            error(path + "." + key, "must be a number, got \(Self.describe(value))")
            return nil
        }
        return checkBounds(number, path + "." + key, lower, minimum)
    }

    private mutating func checkBounds(_ number: Double, _ path: String, _ lower: Double?, _ minimum: Double?) -> Double? {
        guard number.isFinite else {
            error(path, "must be a finite number")
            return nil
        }
        if let lower, !(number > lower) { error(path, "must be greater than \(Self.format(lower)), got \(Self.format(number))"); return nil }
        if let minimum, !(number >= minimum) { error(path, "must be at least \(Self.format(minimum)), got \(Self.format(number))"); return nil }
        return number
    }

    mutating func integer(_ object: JSONObject, _ key: String, at path: String, greaterThan lower: Int? = nil, atLeast minimum: Int? = nil) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .int(let number) = value else {
            error(path + "." + key, "must be an integer, got \(Self.describe(value))")
            return nil
        }
        if let lower, !(number > lower) { error(path + "." + key, "must be greater than \(lower), got \(number)"); return nil }
        if let minimum, !(number >= minimum) { error(path + "." + key, "must be at least \(minimum), got \(number)"); return nil }
        return number
    }

    mutating func bool(_ object: JSONObject, _ key: String, at path: String) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            error(path + "." + key, "must be true or false, got \(Self.describe(value))")
            return nil
        }
        return flag
    }

    mutating func string(_ object: JSONObject, _ key: String, at path: String, oneOf choices: [String]? = nil) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else {
            error(path + "." + key, "must be a string, got \(Self.describe(value))")
            return nil
        }
        if let choices, !choices.contains(text) {
            error(path + "." + key, "must be one of \(choices.map { "'\($0)'" }.joined(separator: ", ")), got '\(text)'")
            return nil
        }
        return text
    }

    mutating func strings(_ object: JSONObject, _ key: String, at path: String, nonEmptyItems: Bool = false) -> [String]? {
        guard let value = object[key], value != .null else { return nil }
        guard let items = value.arrayValue else {
            error(path + "." + key, "must be a list of strings, got \(Self.describe(value))")
            return nil
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                error(path + "." + key + "[\(index)]", "must be a string, got \(Self.describe(item))")
                continue
            }
            if nonEmptyItems && text.isEmpty { error(path + "." + key + "[\(index)]", "must not be empty") }
            result.append(text)
        }
        return result
    }

    /// How a value reads in a message: its YAML/JSON type and a short rendering.
    static func describe(_ value: JSONValue) -> String {
        let text = JSONWriter().string(value)
        let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
        switch value {
        case .null: return "null"
        case .bool: return "boolean \(shown)"
        case .int, .double: return "number \(shown)"
        case .string: return "string \(shown)"
        case .array: return "list \(shown)"
        case .object: return "mapping \(shown)"
        }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) + ".0" : String(number)
    }

    /// The allowed key within edit distance 2 of `key`, if one is.
    static func closest(to key: String, in allowed: [String]) -> String? {
        allowed.map { ($0, distance(key, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
