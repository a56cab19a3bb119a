import OpenEnvCore

/// Checks JSON values against a JSON Schema: the subset of Draft 2020-12 that pydantic and
/// swift-openenv publish in `/schema`.
///
/// Keywords understood: `type` (a name or a list), `properties`, `required`,
/// `additionalProperties` (boolean or schema), `enum`, `const`, `anyOf`, `oneOf`, `allOf`,
/// `items`, `prefixItems`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
/// `minLength`, `maxLength`, `minItems`, `maxItems`, and `$ref` to a location in the same
/// document (`#`, `#/$defs/Name`, any local JSON pointer). Boolean schemas work. Other
/// keywords (`title`, `description`, `default`, `pattern`, `format`…) are ignored, so a
/// value can pass here and fail a full validator only through those.
///
/// Numbers follow JSON Schema, not Python: `1.0` is an `integer`, `true` is not a number.
/// Recursive schemas are followed up to a fixed depth, after which a value fails with
/// `ref-depth`.
public struct JSONSchemaValidator: Sendable {
    /// One reason a value does not satisfy the schema.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        /// Where in the value, as a JSON pointer (`""` is the whole value, `/row`).
        public var instancePath: String
        /// Where in the schema, as a `/`-separated path of keywords (`properties/row/type`).
        public var schemaPath: String
        /// The keyword that failed (`type`, `required`, `additionalProperties`…).
        public var keyword: String
        public var message: String

        public var description: String {
            "\(instancePath.isEmpty ? "/" : instancePath): \(message) (\(keyword) at \(schemaPath.isEmpty ? "/" : schemaPath))"
        }
    }

    /// A schema that cannot be used.
    public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public let schema: JSONValue
    private static let maxRefDepth = 64

    /// Accepts `schema` when it is an object or a boolean and every `$ref` in it is local
    /// (starts with `#`); a validator never fetches anything.
    public init(schema: JSONValue) throws(SchemaError) {
        switch schema {
        case .object, .bool: break
        default: throw SchemaError(description: "a schema must be an object or a boolean, not \(schema.pythonTypeName)")
        }
        if let remote = Self.firstRemoteReference(in: schema) {
            throw SchemaError(description: "non-local $ref '\(remote)' (only references inside the document are followed)")
        }
        self.schema = schema
    }

    /// Every problem with `value`, in document order; empty when it is valid.
    public func validate(_ value: JSONValue) -> [Issue] {
        var issues: [Issue] = []
        check(value, against: schema, instancePath: "", schemaPath: "", depth: 0, into: &issues)
        return issues
    }

    public func isValid(_ value: JSONValue) -> Bool {
        var issues: [Issue] = []
        check(value, against: schema, instancePath: "", schemaPath: "", depth: 0, into: &issues)
        return issues.isEmpty
    }

    // MARK: Evaluation

    private func check(_ value: JSONValue, against schema: JSONValue, instancePath: String, schemaPath: String, depth: Int, into issues: inout [Issue]) {
        func fail(_ keyword: String, _ message: String, at path: String? = nil) {
            issues.append(Issue(instancePath: instancePath, schemaPath: path ?? join(schemaPath, keyword), keyword: keyword, message: message))
        }
        switch schema {
        case .bool(true): return
        case .bool(false): return fail("false", "no value is allowed here", at: schemaPath)
        case .object: break
        default: return fail("schema", "the schema here is not an object")
        }

        if let reference = schema["$ref"]?.stringValue {
            if depth >= Self.maxRefDepth {
                fail("ref-depth", "references nest deeper than \(Self.maxRefDepth) levels")
            } else if let target = resolve(reference) {
                check(value, against: target, instancePath: instancePath, schemaPath: join(schemaPath, "$ref"), depth: depth + 1, into: &issues)
            } else {
                fail("$ref", "unresolvable reference '\(reference)'")
            }
        }

        if let types = schema["type"] {
            let names = types.arrayValue?.compactMap(\.stringValue) ?? types.stringValue.map { [$0] } ?? []
            if !names.contains(where: { Self.value(value, hasType: $0) }) {
                fail("type", "expected \(names.joined(separator: " or ")), got \(Self.jsonTypeName(value))")
                return  // the remaining keywords would only repeat the mismatch
            }
        }
        if let choices = schema["enum"]?.arrayValue, !choices.contains(where: { Self.equal($0, value) }) {
            fail("enum", "\(Self.short(value)) is not one of \(Self.short(.array(choices)))")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            fail("const", "expected \(Self.short(constant)), got \(Self.short(value))")
        }
        if let options = schema["anyOf"]?.arrayValue {
            let matches = options.indices.contains { index in
                var scratch: [Issue] = []
                check(value, against: options[index], instancePath: instancePath, schemaPath: join(schemaPath, "anyOf/\(index)"), depth: depth + 1, into: &scratch)
                return scratch.isEmpty
            }
            if !matches { fail("anyOf", "\(Self.short(value)) matches none of the \(options.count) alternatives") }
        }
        if let options = schema["oneOf"]?.arrayValue {
            let count = options.indices.count { index in
                var scratch: [Issue] = []
                check(value, against: options[index], instancePath: instancePath, schemaPath: join(schemaPath, "oneOf/\(index)"), depth: depth + 1, into: &scratch)
                return scratch.isEmpty
            }
            if count != 1 { fail("oneOf", "\(Self.short(value)) matches \(count) of the \(options.count) alternatives, not exactly one") }
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
            if let minimum = schema["minLength"]?.intValue, length < minimum { fail("minLength", "string is shorter than \(minimum) characters") }
            if let maximum = schema["maxLength"]?.intValue, length > maximum { fail("maxLength", "string is longer than \(maximum) characters") }
        case .int, .double:
            let number = value.doubleValue!
            if let bound = schema["minimum"]?.doubleValue, number < bound { fail("minimum", "\(Self.short(value)) is less than \(Self.short(schema["minimum"]!))") }
            if let bound = schema["maximum"]?.doubleValue, number > bound { fail("maximum", "\(Self.short(value)) is greater than \(Self.short(schema["maximum"]!))") }
            if let bound = schema["exclusiveMinimum"]?.doubleValue, number <= bound { fail("exclusiveMinimum", "\(Self.short(value)) is not greater than \(Self.short(schema["exclusiveMinimum"]!))") }
            if let bound = schema["exclusiveMaximum"]?.doubleValue, number >= bound { fail("exclusiveMaximum", "\(Self.short(value)) is not less than \(Self.short(schema["exclusiveMaximum"]!))") }
        case .null, .bool: break
        }
    }

    private func checkObject(_ object: JSONObject, schema: JSONValue, instancePath: String, schemaPath: String, depth: Int, into issues: inout [Issue]) {
        let properties = schema["properties"]?.objectValue ?? [:]
        if let required = schema["required"]?.arrayValue {
            let missing = required.compactMap(\.stringValue).filter { object[$0] == nil }
            if !missing.isEmpty {
                issues.append(Issue(instancePath: instancePath, schemaPath: join(schemaPath, "required"), keyword: "required",
                                    message: "missing properties: \(missing.map { "'\($0)'" }.joined(separator: ", "))"))
            }
        }
        for member in object {
            let path = instancePath + "/" + Self.escape(member.key)
            if let propertySchema = properties[member.key] {
                check(member.value, against: propertySchema, instancePath: path, schemaPath: join(schemaPath, "properties/\(Self.escape(member.key))"), depth: depth + 1, into: &issues)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    issues.append(Issue(instancePath: instancePath, schemaPath: join(schemaPath, "additionalProperties"), keyword: "additionalProperties",
                                        message: "unexpected property '\(member.key)'"))
                } else {
                    check(member.value, against: additional, instancePath: path, schemaPath: join(schemaPath, "additionalProperties"), depth: depth + 1, into: &issues)
                }
            }
        }
    }

    private func checkArray(_ items: [JSONValue], schema: JSONValue, instancePath: String, schemaPath: String, depth: Int, into issues: inout [Issue]) {
        if let minimum = schema["minItems"]?.intValue, items.count < minimum {
            issues.append(Issue(instancePath: instancePath, schemaPath: join(schemaPath, "minItems"), keyword: "minItems", message: "fewer than \(minimum) items"))
        }
        if let maximum = schema["maxItems"]?.intValue, items.count > maximum {
            issues.append(Issue(instancePath: instancePath, schemaPath: join(schemaPath, "maxItems"), keyword: "maxItems", message: "more than \(maximum) items"))
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
    }

    /// The schema at a local reference: `#` or a JSON pointer after `#`.
    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = schema
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = Self.unescape(String(token))
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

    static func value(_ value: JSONValue, hasType name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double): true
        case ("integer", .int): true
        case ("integer", .double(let d)): d.isFinite && d.rounded() == d
        default: false
        }
    }

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

    private static func short(_ value: JSONValue) -> String {
        let text = JSONWriter().string(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    private static func escape(_ key: String) -> String { key.replacing("~", with: "~0").replacing("/", with: "~1") }
    private static func unescape(_ token: String) -> String {
        (token.removingPercentEncodingIfNeeded).replacing("~1", with: "/").replacing("~0", with: "~")
    }

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
