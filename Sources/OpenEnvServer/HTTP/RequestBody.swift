import OpenEnvCore

/// Reads and validates JSON request bodies the way the reference's FastAPI models do.
enum RequestBody {
    /// The outcome of reading a body: an object, or the 422 to answer with.
    enum Parsed {
        case object(JSONObject)
        case rejected(HTTPResponse)
    }

    /// Reads the body as a JSON object; an empty body counts as `{}` when `emptyIsObject`.
    static func object(_ request: HTTPRequest, emptyIsObject: Bool) -> Parsed {
        let bytes = request.body
        if bytes.isEmpty {
            if emptyIsObject { return .object([:]) }
            return .rejected(.unprocessable([ValidationIssue(type: "missing", loc: ["body"], msg: "Field required", input: .null)]))
        }
        let contentType = request.headers.first(name: "content-type") ?? ""
        guard contentType.lowercased().contains("json") else {
            return .rejected(.unprocessable([ValidationIssue(
                type: "model_attributes_type", loc: ["body"],
                msg: "Input should be a valid dictionary or object to extract fields from",
                input: .string(String(decoding: bytes, as: UTF8.self)))]))
        }
        // FastAPI decodes the body strictly first; bytes that are not UTF-8 never reach the parser.
        guard UTF8Validation.isValid(bytes) else { return .rejected(.detail("There was an error parsing the body", status: .badRequest)) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            return .rejected(.unprocessable([ValidationIssue(
                type: "json_invalid", loc: ["body", .int(error.offset)], msg: "JSON decode error", input: [:],
                ctx: ["error": .string(error.reason)])]))
        }
        guard case .object(let object) = value else {
            return .rejected(.unprocessable([ValidationIssue(
                type: "model_attributes_type", loc: ["body"],
                msg: "Input should be a valid dictionary or object to extract fields from", input: value)]))
        }
        return .object(object)
    }

    /// Field rules of the reference's request models.
    enum Field {
        case optionalBoundedInt(minimum: Int)
        case optionalString(maxLength: Int)
        case optionalPositiveNumber
        case requiredString
        case requiredInt
        case optionalInt
        case requiredObject
    }

    /// Checks `object[name]` against `rule`; returns the issues (locations under `body`).
    static func check(_ object: JSONObject, _ name: String, _ rule: Field) -> [ValidationIssue] {
        let loc: [JSONValue] = ["body", .string(name)]
        let value = object[name]
        switch rule {
        case .requiredString, .requiredInt, .requiredObject:
            guard let value else { return [ValidationIssue(type: "missing", loc: loc, msg: "Field required", input: .object(object))] }
            switch rule {
            case .requiredString:
                return value.stringValue == nil ? [ValidationIssue(type: "string_type", loc: loc, msg: "Input should be a valid string", input: value)] : []
            case .requiredInt:
                return laxInt(value) == nil ? [intIssue(value, loc)] : []
            default:
                return value.objectValue == nil ? [ValidationIssue(type: "dict_type", loc: loc, msg: "Input should be a valid dictionary", input: value)] : []
            }
        case .optionalBoundedInt(let minimum):
            guard let value, !value.isNull else { return [] }
            guard let i = laxInt(value) else { return [intIssue(value, loc)] }
            if i < minimum {
                return [ValidationIssue(type: "greater_than_equal", loc: loc, msg: "Input should be greater than or equal to \(minimum)",
                                        input: value, ctx: ["ge": .int(minimum)])]
            }
            return []
        case .optionalInt:
            guard let value, !value.isNull else { return [] }
            return laxInt(value) == nil ? [intIssue(value, loc)] : []
        case .optionalString(let maxLength):
            guard let value, !value.isNull else { return [] }
            guard let s = value.stringValue else { return [ValidationIssue(type: "string_type", loc: loc, msg: "Input should be a valid string", input: value)] }
            if s.count > maxLength {
                return [ValidationIssue(type: "string_too_long", loc: loc, msg: "String should have at most \(maxLength) characters",
                                        input: value, ctx: ["max_length": .int(maxLength)])]
            }
            return []
        case .optionalPositiveNumber:
            guard let value, !value.isNull else { return [] }
            guard let d = value.doubleValue, value.boolValue == nil else {
                return [ValidationIssue(type: "float_type", loc: loc, msg: "Input should be a valid number", input: value)]
            }
            if !(d > 0) {
                return [ValidationIssue(type: "greater_than", loc: loc, msg: "Input should be greater than 0", input: value, ctx: ["gt": 0.0])]
            }
            return []
        }
    }

    /// Keys other than `allowed` (for models that forbid extra keys).
    static func extraKeys(_ object: JSONObject, allowed: Set<String>) -> [ValidationIssue] {
        object.filter { !allowed.contains($0.key) }.map {
            ValidationIssue(type: "extra_forbidden", loc: ["body", .string($0.key)], msg: "Extra inputs are not permitted", input: $0.value)
        }
    }

    static func laxInt(_ value: JSONValue) -> Int? {
        if value.boolValue != nil { return nil }
        if let i = value.intValue { return i }
        if let s = value.stringValue { return Int(s) }
        return nil
    }

    private static func intIssue(_ value: JSONValue, _ loc: [JSONValue]) -> ValidationIssue {
        ValidationIssue(type: "int_type", loc: loc, msg: "Input should be a valid integer", input: value)
    }
}
