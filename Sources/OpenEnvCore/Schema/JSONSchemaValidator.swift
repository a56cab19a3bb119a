/// Checks JSON values against a JSON Schema: the subset of Draft 2020-12 that pydantic,
/// MCP servers and swift-openenv publish. The one validator of the project: `openenv
/// validate` checks observations with it, the MCP bridge checks tool arguments with it.
///
/// Keywords understood: `type` (a name or a list), `properties`, `required`,
/// `additionalProperties` (boolean or schema), `minProperties`, `maxProperties`, `enum`,
/// `const`, `anyOf`, `oneOf`, `allOf`, `items`, `prefixItems`, `minItems`, `maxItems`,
/// `uniqueItems`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minLength`,
/// `maxLength`, and `$ref` to a location in the same document (`#`, `#/$defs/Name`, any local
/// JSON pointer). Boolean schemas work. Other keywords (`title`, `description`, `default`,
/// `pattern`, `format`, `not`, conditionals…) are ignored, so a value can pass here and fail a
/// full validator only through those.
///
/// Numbers follow JSON Schema, not Python: `1.0` is an `integer`, `true` is not a number, and
/// `enum`, `const` and `uniqueItems` compare `1` and `1.0` as equal. Recursive schemas are
/// followed up to a fixed depth.
///
/// ``Options`` choose the wording of issues and how sure the validator must be before it
/// rejects: ``Options/complete`` (the default) is a validator's, ``Options/precheck`` a
/// client's that checks arguments before a server, which has the last word, sees them.
public struct JSONSchemaValidator: Sendable {
    /// One reason a value does not satisfy the schema.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        /// Where in the value, as a JSON pointer (`""` is the whole value, `/row`).
        public var instancePath: String
        /// Where in the schema, as a `/`-separated path of keywords (`properties/row/type`).
        public var schemaPath: String
        /// The keyword that failed (`type`, `required`, `additionalProperties`…).
        public var keyword: String
        /// The text, in the validator's ``Options/Wording``.
        public var message: String

        public var description: String {
            "\(instancePath.isEmpty ? "/" : instancePath): \(message) (\(keyword) at \(schemaPath.isEmpty ? "/" : schemaPath))"
        }

        /// pydantic's way of placing a message: `files.0.path: Field required`, or the message
        /// alone for the whole value.
        public var dottedDescription: String {
            guard !instancePath.isEmpty else { return message }
            let location = instancePath.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
                .map { JSONSchemaValidator.unescape(String($0)) }
            return location.joined(separator: ".") + ": " + message
        }
    }

    /// How issues are worded and how sure the validator must be before it rejects.
    public struct Options: Sendable, Hashable {
        public enum Wording: Sendable, Hashable {
            /// A validator's report: `expected string, got integer`, one `required` issue
            /// naming every missing property.
            case jsonSchema
            /// pydantic's texts (`Input should be a valid string`, `Field required`), one issue
            /// per missing or unexpected property at that property's location: what a Python
            /// server would have answered.
            case pydantic
        }

        public var wording: Wording
        /// Rejects only what is certain to be rejected by any reading of the schema: `oneOf`
        /// is checked as `anyOf`, unknown type names accept any value, and references that do
        /// not resolve (remote ones included: the initializer accepts them) or nest too deep
        /// are not followed. Off, those are issues and a remote `$ref` refuses the schema.
        public var lenient: Bool

        public init(wording: Wording, lenient: Bool) {
            self.wording = wording
            self.lenient = lenient
        }

        /// A validator's: every keyword checked exactly, issues in JSON Schema's terms.
        public static let complete = Options(wording: .jsonSchema, lenient: false)
        /// A client's check of arguments before a server has its say: pydantic's texts,
        /// lenient.
        public static let precheck = Options(wording: .pydantic, lenient: true)
    }

    /// A schema that cannot be used.
    public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public let schema: JSONValue
    public let options: Options
    private static let maxDepth = 64

    /// Accepts `schema` when it is an object or a boolean and, unless `options` are lenient,
    /// every `$ref` in it is local (starts with `#`); a validator never fetches anything.
    public init(schema: JSONValue, options: Options = .complete) throws(SchemaError) {
        switch schema {
        case .object, .bool: break
        default: throw SchemaError(description: "a schema must be an object or a boolean, not \(schema.pythonTypeName)")
        }
        if !options.lenient, let remote = Self.firstRemoteReference(in: schema) {
            throw SchemaError(description: "non-local $ref '\(remote)' (only references inside the document are followed)")
        }
        self.schema = schema
        self.options = options
    }

    /// Every problem with `value`, in document order; empty when it is valid.
    public func validate(_ value: JSONValue) -> [Issue] {
        var issues: [Issue] = []
        check(value, against: schema, instancePath: "", schemaPath: "", depth: 0, into: &issues)
        return issues
    }

    public func isValid(_ value: JSONValue) -> Bool {
        validate(value).isEmpty
    }

    // MARK: Evaluation

    private var pydantic: Bool { options.wording == .pydantic }

    private func check(_ value: JSONValue, against schema: JSONValue, instancePath: String, schemaPath: String, depth: Int, into issues: inout [Issue]) {
        func fail(_ keyword: String, _ message: String, at path: String? = nil) {
            issues.append(Issue(instancePath: instancePath, schemaPath: path ?? join(schemaPath, keyword), keyword: keyword, message: message))
        }
        switch schema {
        case .bool(true): return
        case .bool(false): return fail("false", pydantic ? "No input is allowed here" : "no value is allowed here", at: schemaPath)
        case .object: break
        default: return options.lenient ? () : fail("schema", "the schema here is not an object")
        }
        if depth >= Self.maxDepth {
            if !options.lenient { fail("ref-depth", "the schema nests deeper than \(Self.maxDepth) levels here") }
            return
        }

        if let reference = schema["$ref"]?.stringValue {
            if let target = resolve(reference) {
                check(value, against: target, instancePath: instancePath, schemaPath: join(schemaPath, "$ref"), depth: depth + 1, into: &issues)
            } else if !options.lenient {
                fail("$ref", "unresolvable reference '\(reference)'")
            }
        }

        if let types = schema["type"] {
            let names = types.arrayValue?.compactMap(\.stringValue) ?? types.stringValue.map { [$0] } ?? []
            if !names.contains(where: { hasType(value, $0) }) {
                fail("type", pydantic
                    ? "Input should be " + names.map(Self.pydanticArticle).joined(separator: " or ")
                    : "expected \(names.joined(separator: " or ")), got \(Self.jsonTypeName(value))")
                return  // the remaining keywords would only repeat the mismatch
            }
        }
        if let choices = schema["enum"]?.arrayValue, !choices.contains(where: { Self.equal($0, value) }) {
            fail("enum", pydantic
                ? "Input should be " + choices.map(\.description).joined(separator: ", ")
                : "\(Self.short(value)) is not one of \(Self.short(.array(choices)))")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            fail("const", pydantic ? "Input should be \(constant)" : "expected \(Self.short(constant)), got \(Self.short(value))")
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let branches = schema[keyword]?.arrayValue, !(options.lenient && branches.isEmpty) else { continue }
            let matching = branches.indices.lazy.filter { index in
                var scratch: [Issue] = []
                check(value, against: branches[index], instancePath: instancePath, schemaPath: join(schemaPath, "\(keyword)/\(index)"), depth: depth + 1, into: &scratch)
                return scratch.isEmpty
            }
            let exactlyOne = keyword == "oneOf" && !options.lenient
            // anyOf stops at the first match; oneOf must know whether a second one exists.
            let count = exactlyOne ? Array(matching.prefix(2)).count : (matching.first == nil ? 0 : 1)
            if exactlyOne ? count != 1 : count == 0 {
                fail(keyword, pydantic
                    ? Self.pydanticAlternativesMessage(branches)
                    : exactlyOne ? "\(Self.short(value)) matches \(count == 0 ? "none" : "more than one") of the \(branches.count) alternatives, not exactly one"
                        : "\(Self.short(value)) matches none of the \(branches.count) alternatives")
            }
        }
        if let parts = schema["allOf"]?.arrayValue {
            for (index, part) in parts.enumerated() {
                check(value, against: part, instancePath: instancePath, schemaPath: join(schemaPath, "allOf/\(index)"), depth: depth + 1, into: &issues)
            }
        }

        switch value {
        case .object(let object): checkObject(object, schema: schema, instancePath: instancePath, schemaPath: schemaPath, depth: depth, into: &issues)
        case .array(let items): checkArray(items, schema: schema, instancePath: instancePath, schemaPath: schemaPath, depth: depth, into: &issues)
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = schema["minLength"]?.intValue, length < minimum {
                fail("minLength", pydantic ? "String should have at least \(Self.counted(minimum, "character"))" : "string is shorter than \(minimum) characters")
            }
            if let maximum = schema["maxLength"]?.intValue, length > maximum {
                fail("maxLength", pydantic ? "String should have at most \(Self.counted(maximum, "character"))" : "string is longer than \(maximum) characters")
            }
        case .int, .double:
            let number = value.doubleValue!
            for (keyword, fails, relation, plain) in Self.bounds {
                guard let bound = schema[keyword], let limit = bound.doubleValue, fails(number, limit) else { continue }
                fail(keyword, pydantic
                    ? "Input should be \(relation) \(Self.pydanticNumber(limit))"
                    : "\(Self.short(value)) \(plain) \(Self.short(bound))")
            }
        case .null, .bool: break
        }
    }

    /// The numeric keywords: when a number fails, pydantic's relation and the plain wording.
    private static let bounds: [(String, @Sendable (Double, Double) -> Bool, String, String)] = [
        ("minimum", { $0 < $1 }, "greater than or equal to", "is less than"),
        ("maximum", { $0 > $1 }, "less than or equal to", "is greater than"),
        ("exclusiveMinimum", { $0 <= $1 }, "greater than", "is not greater than"),
        ("exclusiveMaximum", { $0 >= $1 }, "less than", "is not less than"),
    ]

    private func checkObject(_ object: JSONObject, schema: JSONValue, instancePath: String, schemaPath: String, depth: Int, into issues: inout [Issue]) {
        func issue(_ keyword: String, _ message: String, at path: String = instancePath) {
            issues.append(Issue(instancePath: path, schemaPath: join(schemaPath, keyword), keyword: keyword, message: message))
        }
        let properties = schema["properties"]?.objectValue ?? [:]
        if let required = schema["required"]?.arrayValue {
            let missing = required.compactMap(\.stringValue).filter { object[$0] == nil }
            if pydantic {
                for name in missing { issue("required", "Field required", at: instancePath + "/" + Self.escape(name)) }
            } else if !missing.isEmpty {
                issue("required", "missing properties: \(missing.map { "'\($0)'" }.joined(separator: ", "))")
            }
        }
        for member in object {
            let path = instancePath + "/" + Self.escape(member.key)
            if let propertySchema = properties[member.key] {
                check(member.value, against: propertySchema, instancePath: path, schemaPath: join(schemaPath, "properties/\(Self.escape(member.key))"), depth: depth + 1, into: &issues)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    if pydantic {
                        issue("additionalProperties", "Extra inputs are not permitted", at: path)
                    } else {
                        issue("additionalProperties", "unexpected property '\(member.key)'")
                    }
                } else {
                    check(member.value, against: additional, instancePath: path, schemaPath: join(schemaPath, "additionalProperties"), depth: depth + 1, into: &issues)
                }
            }
        }
        if let minimum = schema["minProperties"]?.intValue, object.count < minimum {
            issue("minProperties", pydantic ? "Object should have at least \(Self.counted(minimum, "property"))" : "fewer than \(minimum) properties")
        }
        if let maximum = schema["maxProperties"]?.intValue, object.count > maximum {
            issue("maxProperties", pydantic ? "Object should have at most \(Self.counted(maximum, "property"))" : "more than \(maximum) properties")
        }
    }

    private func checkArray(_ items: [JSONValue], schema: JSONValue, instancePath: String, schemaPath: String, depth: Int, into issues: inout [Issue]) {
        func issue(_ keyword: String, _ message: String) {
            issues.append(Issue(instancePath: instancePath, schemaPath: join(schemaPath, keyword), keyword: keyword, message: message))
        }
        let prefix = schema["prefixItems"]?.arrayValue ?? []
        for (index, item) in items.enumerated() {
            let path = instancePath + "/\(index)"
            if index < prefix.count {
                check(item, against: prefix[index], instancePath: path, schemaPath: join(schemaPath, "prefixItems/\(index)"), depth: depth + 1, into: &issues)
            } else if let itemSchema = schema["items"] {
                check(item, against: itemSchema, instancePath: path, schemaPath: join(schemaPath, "items"), depth: depth + 1, into: &issues)
            }
        }
        if let minimum = schema["minItems"]?.intValue, items.count < minimum {
            issue("minItems", pydantic ? "List should have at least \(Self.counted(minimum, "item"))" : "fewer than \(minimum) items")
        }
        if let maximum = schema["maxItems"]?.intValue, items.count > maximum {
            issue("maxItems", pydantic ? "List should have at most \(Self.counted(maximum, "item"))" : "more than \(maximum) items")
        }
        if schema["uniqueItems"] == .bool(true) {
            var seen = Set<String>()
            if !items.allSatisfy({ seen.insert(Self.canonical($0)).inserted }) {
                issue("uniqueItems", pydantic ? "List items should be unique" : "items are not unique")
            }
        }
    }

    /// The schema at a local reference: `#` or a JSON pointer after `#`.
    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = schema
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = Self.unescape(String(token).removingPercentEncodingIfNeeded)
            switch node {
            case .object(let object): guard let next = object[key] else { return nil }; node = next
            case .array(let array): guard let index = Int(key), array.indices.contains(index) else { return nil }; node = array[index]
            default: return nil
            }
        }
        return node
    }

    // MARK: Helpers

    private func join(_ base: String, _ keyword: String) -> String { base.isEmpty ? keyword : base + "/" + keyword }

    private func hasType(_ value: JSONValue, _ name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double): true
        case ("integer", .int): true
        case ("integer", .double(let d)): d.isFinite && d.rounded() == d
        default: options.lenient && !Self.typeNames.contains(name)  // an unknown name: not ours to judge when lenient
        }
    }

    private static let typeNames: Set<String> = ["null", "boolean", "string", "array", "object", "number", "integer"]

    static func jsonTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// JSON equality: numbers compare by value (`1 == 1.0`), booleans are not numbers,
    /// objects ignore member order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { member in y[member.key].map { equal(member.value, $0) } ?? false }
        default: return a == b
        }
    }

    /// A text equal for values ``equal(_:_:)`` calls equal (numbers by value, members sorted),
    /// so that `uniqueItems` costs one pass, not a comparison of every pair.
    private static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .int(let i): return "n" + String(Double(i))
        case .double(let d): return "n" + String(d)
        case .array(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .object(let object):
            let members = object.map { (JSONWriter().string(.string($0.key)), canonical($0.value)) }.sorted { $0.0 < $1.0 }
            return "{" + members.map { $0.0 + ":" + $0.1 }.joined(separator: ",") + "}"
        default: return JSONWriter().string(value)
        }
    }

    private static func short(_ value: JSONValue) -> String {
        let text = JSONWriter().string(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    private static func pydanticArticle(_ type: String) -> String {
        switch type {
        case "object": "a valid dictionary"
        case "array": "a valid list"
        case "boolean": "a valid boolean"
        case "null": "None"
        default: "a valid \(type)"
        }
    }

    /// Alternatives that are plain types read as "Input should be a valid string or None".
    private static func pydanticAlternativesMessage(_ branches: [JSONValue]) -> String {
        var names: [String] = []
        for branch in branches {
            guard case .object(let object) = branch, object.count == 1, let type = object["type"],
                let typeNames = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map({ [$0] })
            else { return "Input should match one of the allowed schemas" }
            names += typeNames
        }
        return "Input should be " + names.map(pydanticArticle).joined(separator: " or ")
    }

    private static func pydanticNumber(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// `1 item`, `2 items`, `1 property`, `3 properties`.
    private static func counted(_ count: Int, _ noun: String) -> String {
        count == 1 ? "\(count) \(noun)" : noun.hasSuffix("y") ? "\(count) \(noun.dropLast())ies" : "\(count) \(noun)s"
    }

    private static func escape(_ key: String) -> String { key.replacing("~", with: "~0").replacing("/", with: "~1") }
    fileprivate static func unescape(_ token: String) -> String { token.replacing("~1", with: "/").replacing("~0", with: "~") }

    private static func firstRemoteReference(in value: JSONValue) -> String? {
        switch value {
        case .object(let object):
            for member in object {
                if member.key == "$ref" || member.key == "$dynamicRef" {
                    guard let text = member.value.stringValue, text.hasPrefix("#") else { return JSONWriter().string(member.value) }
                }
                if let found = firstRemoteReference(in: member.value) { return found }
            }
            return nil
        case .array(let items): return items.lazy.compactMap(firstRemoteReference(in:)).first
        default: return nil
        }
    }
}

extension String {
    /// `%XX` escapes decoded (JSON pointers in URI fragments may use them); the text
    /// unchanged when it has none or they are malformed.
    fileprivate var removingPercentEncodingIfNeeded: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else if byte == UInt8(ascii: "%") {
                return self
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
