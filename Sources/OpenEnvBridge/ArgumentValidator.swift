import OpenEnvCore

/// Checks tool arguments against the tool's JSON Schema before they are sent, so that
/// arguments the schema rejects fail as `invalid_args` with a precise message instead of
/// whatever the server makes of them.
///
/// It rejects only what it is sure about: `type`, `enum`, `const`, `properties`,
/// `required`, `additionalProperties`, `items`, `prefixItems`, the length, size and range
/// keywords, `allOf`/`anyOf`/`oneOf` (`oneOf` checked as `anyOf`) and local `$ref`s
/// (`#/$defs/…`). Other keywords (`pattern`, `format`, `not`, conditionals, remote refs)
/// are left to the server.
struct ArgumentValidator: Sendable {
    private let root: JSONValue
    private static let maxDepth = 64

    init(schema: JSONValue) {
        root = schema
    }

    /// What is wrong with `arguments`, one `location: message` per problem (pydantic's
    /// wording); empty when the schema accepts them.
    func problems(_ arguments: JSONObject) -> [String] {
        var problems: [String] = []
        check(.object(arguments), root, at: [], depth: 0, into: &problems)
        return problems
    }

    private func check(_ value: JSONValue, _ node: JSONValue, at path: [String], depth: Int, into problems: inout [String]) {
        guard depth < Self.maxDepth else { return }
        let schema: JSONObject
        switch node {
        case .bool(false): return problems.append(Self.problem(path, "No input is allowed here"))
        case .object(let object): schema = object
        default: return
        }
        if case .string(let reference)? = schema["$ref"], let target = resolve(reference) {
            check(value, target, at: path, depth: depth + 1, into: &problems)
        }
        if let types = Self.types(schema["type"]), !types.contains(where: { Self.value(value, is: $0) }) {
            return problems.append(Self.problem(path, "Input should be " + types.map(Self.article).joined(separator: " or ")))
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(where: { Self.equal($0, value) }) {
            problems.append(Self.problem(path, "Input should be " + allowed.map(\.description).joined(separator: ", ")))
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            problems.append(Self.problem(path, "Input should be \(constant)"))
        }
        for case .array(let all)? in [schema["allOf"]] {
            for branch in all { check(value, branch, at: path, depth: depth + 1, into: &problems) }
        }
        for case .array(let any)? in [schema["anyOf"], schema["oneOf"]] where !any.isEmpty {
            let accepted = any.contains { branch in
                var branchProblems: [String] = []
                check(value, branch, at: path, depth: depth + 1, into: &branchProblems)
                return branchProblems.isEmpty
            }
            if !accepted { problems.append(Self.problem(path, Self.anyOfMessage(any))) }
        }
        switch value {
        case .object(let object): checkObject(object, schema, at: path, depth: depth, into: &problems)
        case .array(let items): checkArray(items, schema, at: path, depth: depth, into: &problems)
        case .string(let s): checkString(s, schema, at: path, into: &problems)
        case .int, .double: checkNumber(value.doubleValue ?? 0, schema, at: path, into: &problems)
        default: break
        }
    }

    private func checkObject(_ object: JSONObject, _ schema: JSONObject, at path: [String], depth: Int, into problems: inout [String]) {
        let properties = schema["properties"]?.objectValue ?? [:]
        if case .array(let required)? = schema["required"] {
            for case .string(let name) in required where object[name] == nil {
                problems.append(Self.problem(path + [name], "Field required"))
            }
        }
        for member in object {
            if let property = properties[member.key] {
                check(member.value, property, at: path + [member.key], depth: depth + 1, into: &problems)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    problems.append(Self.problem(path + [member.key], "Extra inputs are not permitted"))
                } else {
                    check(member.value, additional, at: path + [member.key], depth: depth + 1, into: &problems)
                }
            }
        }
        if let least = schema["minProperties"]?.intValue, object.count < least {
            problems.append(Self.problem(path, "Object should have at least \(least) properties"))
        }
        if let most = schema["maxProperties"]?.intValue, object.count > most {
            problems.append(Self.problem(path, "Object should have at most \(most) properties"))
        }
    }

    private func checkArray(_ items: [JSONValue], _ schema: JSONObject, at path: [String], depth: Int, into problems: inout [String]) {
        let prefix = schema["prefixItems"]?.arrayValue ?? []
        for (index, item) in items.enumerated() {
            let itemSchema = index < prefix.count ? prefix[index] : schema["items"]
            if let itemSchema { check(item, itemSchema, at: path + [String(index)], depth: depth + 1, into: &problems) }
        }
        if let least = schema["minItems"]?.intValue, items.count < least {
            problems.append(Self.problem(path, "List should have at least \(least) item\(least == 1 ? "" : "s")"))
        }
        if let most = schema["maxItems"]?.intValue, items.count > most {
            problems.append(Self.problem(path, "List should have at most \(most) item\(most == 1 ? "" : "s")"))
        }
        if schema["uniqueItems"] == .bool(true), Set(items).count != items.count {
            problems.append(Self.problem(path, "List items should be unique"))
        }
    }

    private func checkString(_ string: String, _ schema: JSONObject, at path: [String], into problems: inout [String]) {
        let length = string.unicodeScalars.count
        if let least = schema["minLength"]?.intValue, length < least {
            problems.append(Self.problem(path, "String should have at least \(least) character\(least == 1 ? "" : "s")"))
        }
        if let most = schema["maxLength"]?.intValue, length > most {
            problems.append(Self.problem(path, "String should have at most \(most) character\(most == 1 ? "" : "s")"))
        }
    }

    private func checkNumber(_ number: Double, _ schema: JSONObject, at path: [String], into problems: inout [String]) {
        if let bound = schema["minimum"]?.doubleValue, number < bound {
            problems.append(Self.problem(path, "Input should be greater than or equal to \(Self.number(bound))"))
        }
        if let bound = schema["maximum"]?.doubleValue, number > bound {
            problems.append(Self.problem(path, "Input should be less than or equal to \(Self.number(bound))"))
        }
        if let bound = schema["exclusiveMinimum"]?.doubleValue, number <= bound {
            problems.append(Self.problem(path, "Input should be greater than \(Self.number(bound))"))
        }
        if let bound = schema["exclusiveMaximum"]?.doubleValue, number >= bound {
            problems.append(Self.problem(path, "Input should be less than \(Self.number(bound))"))
        }
    }

    // MARK: Helpers

    /// The schema a local reference (`#`, `#/$defs/Name`, JSON-pointer escapes) points to.
    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for token in reference.dropFirst().split(separator: "/") {
            let key = Self.unescapePointerToken(token)
            switch node {
            case .object(let object): guard let next = object[key] else { return nil }; node = next
            case .array(let array): guard let i = Int(key), array.indices.contains(i) else { return nil }; node = array[i]
            default: return nil
            }
        }
        return node
    }

    /// A JSON-pointer token: `~1` is `/`, `~0` is `~`.
    private static func unescapePointerToken(_ token: Substring) -> String {
        var out = ""
        var escaped = false
        for c in token {
            if escaped {
                out.append(c == "1" ? "/" : c == "0" ? "~" : c)
                escaped = false
            } else if c == "~" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static func types(_ type: JSONValue?) -> [String]? {
        switch type {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap(\.stringValue)
        default: nil
        }
    }

    private static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("number", .int), ("number", .double), ("integer", .int):
            true
        case ("integer", .double(let d)):
            d.rounded() == d && d.isFinite
        default:
            !["object", "array", "string", "boolean", "null", "number", "integer"].contains(type)  // unknown: not ours to judge
        }
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "object": "a valid dictionary"
        case "array": "a valid list"
        case "boolean": "a valid boolean"
        case "null": "None"
        default: "a valid \(type)"
        }
    }

    /// `anyOf` of plain types reads as "Input should be a valid string or None".
    private static func anyOfMessage(_ branches: [JSONValue]) -> String {
        let types = branches.map { branch -> [String]? in
            guard case .object(let object) = branch, object.count == 1 else { return nil }
            return Self.types(object["type"])
        }
        if types.allSatisfy({ $0 != nil }) {
            return "Input should be " + types.flatMap { $0! }.map(article).joined(separator: " or ")
        }
        return "Input should match one of the allowed schemas"
    }

    /// JSON equality, with `1` equal to `1.0`.
    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private static func problem(_ path: [String], _ message: String) -> String {
        path.isEmpty ? message : "\(path.joined(separator: ".")): \(message)"
    }
}
