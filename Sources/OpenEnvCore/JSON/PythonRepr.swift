extension JSONValue {
    /// The value as Python's `repr()` of the object `json.loads` would make from it
    /// (`{'a': [1, True, None]}`), which pydantic embeds in its error texts.
    public var pythonRepr: String {
        switch self {
        case .null: "None"
        case .bool(let b): b ? "True" : "False"
        case .int, .double: JSONWriter(style: .python).string(self)
        case .string(let s): Self.pythonRepr(s)
        case .array(let items): "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .object(let object):
            "{" + object.map { Self.pythonRepr($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        }
    }

    /// Python's `repr()` of a string: single quotes unless the text holds a single quote
    /// and no double quote; backslash escapes for the quote, `\\`, `\n`, `\r`, `\t` and
    /// other control characters.
    static func pythonRepr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append(quote)
        return out
    }
}
