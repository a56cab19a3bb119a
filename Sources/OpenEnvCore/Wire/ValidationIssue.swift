/// One problem found while validating input, shaped like a pydantic error object.
///
/// The reference reports invalid actions and bodies as lists of pydantic errors
/// (`{"type","loc","msg","input","ctx"?,"url"?}`); clients and tooling read `type` and
/// `loc`, so those use pydantic's vocabulary (`missing`, `extra_forbidden`,
/// `string_type`, `literal_error`, …).
public struct ValidationIssue: Error, Sendable, Equatable {
    public var type: String
    /// Path to the offending value: object keys and array indices.
    public var loc: [JSONValue]
    public var msg: String
    public var input: JSONValue
    public var ctx: JSONObject?

    public init(type: String, loc: [JSONValue], msg: String, input: JSONValue, ctx: JSONObject? = nil) {
        self.type = type
        self.loc = loc
        self.msg = msg
        self.input = input
        self.ctx = ctx
    }

    /// The pydantic minor version whose documentation URLs the reference embeds.
    public static let pydanticDocsVersion = "2.14"

    /// The issue as a pydantic error object; `includeURL` adds pydantic's documentation
    /// link, which the reference includes on `/ws` and action errors.
    public func json(includeURL: Bool) -> JSONValue {
        var object: JSONObject = ["type": .string(type), "loc": .array(loc), "msg": .string(msg), "input": input]
        if let ctx { object["ctx"] = .object(ctx) }
        if includeURL {
            object["url"] = .string("https://errors.pydantic.dev/\(Self.pydanticDocsVersion)/v/\(type)")
        }
        return .object(object)
    }

    /// The same issue with `prefix` prepended to its location.
    public func prefixed(_ prefix: [JSONValue]) -> ValidationIssue {
        var copy = self
        copy.loc = prefix + loc
        return copy
    }
}

/// A failed validation: one or more ``ValidationIssue``s.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ValidationIssue]

    public init(_ issues: [ValidationIssue]) { self.issues = issues }

    public func json(includeURL: Bool) -> JSONValue { .array(issues.map { $0.json(includeURL: includeURL) }) }

    public var description: String {
        issues.map { issue in
            let path = issue.loc.map { $0.stringValue ?? $0.description }.joined(separator: ".")
            return path.isEmpty ? issue.msg : "\(path): \(issue.msg)"
        }.joined(separator: "; ")
    }
}

extension ValidationFailure {
    /// The failure as `str()` of a pydantic `ValidationError` for `model`:
    ///
    /// ```text
    /// 1 validation error for HarnessClientMessage
    /// content
    ///   Field required [type=missing, input_value={}, input_type=dict]
    ///     For further information visit https://errors.pydantic.dev/2.14/v/missing
    /// ```
    public func pydanticText(model: String) -> String {
        var lines = ["\(issues.count) validation error\(issues.count == 1 ? "" : "s") for \(model)"]
        for issue in issues {
            lines.append(issue.loc.map { $0.stringValue ?? $0.description }.joined(separator: "."))
            lines.append("  \(issue.msg) [type=\(issue.type), input_value=\(issue.input.pythonRepr), input_type=\(issue.input.pythonTypeName)]")
            lines.append("    For further information visit https://errors.pydantic.dev/\(ValidationIssue.pydanticDocsVersion)/v/\(issue.type)")
        }
        return lines.joined(separator: "\n")
    }
}
