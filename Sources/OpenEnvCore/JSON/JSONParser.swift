/// An error from ``JSONParser``, worded as Python's `json` module words it.
///
/// The reference server puts Python's decoder message into its `INVALID_JSON` and `-32700`
/// errors, e.g. `Expecting property name enclosed in double quotes: line 1 column 2 (char 1)`;
/// ``description`` reproduces that text so clients see the same message from either server.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Python's message without the position, e.g. `Expecting value`.
    public var reason: String
    /// Offset in Unicode scalars (Python's `char`).
    public var offset: Int
    public var line: Int
    public var column: Int

    public var description: String { "\(reason): line \(line) column \(column) (char \(offset))" }
}

/// A strict, allocation-light JSON parser producing ``JSONValue``.
///
/// It accepts what Python's `json.loads` accepts (including `NaN`, `Infinity` and
/// `-Infinity`), keeps object members in document order (a repeated key keeps its last
/// value, as in Python), and reports errors with Python's wording and positions.
public enum JSONParser {
    /// Parses a complete JSON document from UTF-8 bytes.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var scanner = Scanner(bytes: buffer)
            do throws(JSONParseError) { return .success(try scanner.document()) } catch { return .failure(error) }
        }
        if let result { return try result.get() }
        return try parse(Array(bytes))
    }

    /// Parses a complete JSON document from a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer -> Result<JSONValue, JSONParseError> in
            var scanner = Scanner(bytes: buffer)
            do throws(JSONParseError) { return .success(try scanner.document()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

private let maximumDepth = 512

private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try self.value()
        skipWhitespace()
        if index != bytes.count { throw error("Extra data", at: index) }
        return value
    }

    func error(_ reason: String, at byteOffset: Int) -> JSONParseError {
        // Python counts characters, not bytes: count the scalars before the offset.
        var offset = 0
        var line = 1
        var lineStart = 0
        var i = 0
        while i < byteOffset && i < bytes.count {
            let byte = bytes[i]
            if byte & 0xC0 != 0x80 {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    lineStart = offset + 1
                }
                offset += 1
            }
            i += 1
        }
        return JSONParseError(reason: reason, offset: offset, line: line, column: offset - lineStart + 1)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func value() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("Expecting value", at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "N"): return try literal("NaN", .double(.nan))
        case UInt8(ascii: "I"): return try literal("Infinity", .double(.infinity))
        case UInt8(ascii: "-"):
            if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "I") {
                index += 1
                let start = index - 1
                guard matches("Infinity") else { throw error("Expecting value", at: start) }
                index += 8
                return .double(-.infinity)
            }
            return try number()
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("Expecting value", at: index)
        }
    }

    func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let pointer = word.utf8Start
        for k in 0..<count where bytes[index + k] != pointer[k] { return false }
        return true
    }

    mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        guard matches(word) else { throw error("Expecting value", at: index) }
        index += word.utf8CodeUnitCount
        return value
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maximumDepth { throw error("Nesting too deep", at: index) }
    }

    mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("Expecting property name enclosed in double quotes", at: index)
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("Expecting ':' delimiter", at: index)
            }
            index += 1
            skipWhitespace()
            let value = try self.value()
            object[key] = value  // a repeated key keeps its last value, in its first place (Python)
            skipWhitespace()
            guard index < bytes.count else { throw error("Expecting ',' delimiter", at: index) }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            }
            guard bytes[index] == UInt8(ascii: ",") else { throw error("Expecting ',' delimiter", at: index) }
            index += 1
            skipWhitespace()
        }
    }

    mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            guard index < bytes.count else { throw error("Expecting ',' delimiter", at: index) }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            guard bytes[index] == UInt8(ascii: ",") else { throw error("Expecting ',' delimiter", at: index) }
            index += 1
            skipWhitespace()
        }
    }

    mutating func string() throws(JSONParseError) -> String {
        let quote = index
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("Invalid control character at", at: index) }
            index += 1
        }
        guard index < bytes.count else { throw error("Unterminated string starting at", at: quote) }
        var scalars = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            }
            if byte < 0x20 { throw error("Invalid control character at", at: index) }
            if byte != UInt8(ascii: "\\") {
                scalars.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { throw error("Unterminated string starting at", at: quote) }
            let escape = bytes[index + 1]
            switch escape {
            case UInt8(ascii: "\""): scalars.append(0x22)
            case UInt8(ascii: "\\"): scalars.append(0x5C)
            case UInt8(ascii: "/"): scalars.append(0x2F)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                let escapeStart = index
                var code = try hex4(at: index + 2, escapeStart: escapeStart)
                index += 6
                if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                    bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                {
                    let low = try hex4(at: index + 2, escapeStart: index)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                // Lone surrogates cannot be represented in a Swift string: use U+FFFD.
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                continue
            default:
                throw error("Invalid \\escape", at: index)
            }
            index += 2
        }
        throw error("Unterminated string starting at", at: quote)
    }

    func hex4(at position: Int, escapeStart: Int) throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("Invalid \\uXXXX escape", at: escapeStart) }
        var value: UInt32 = 0
        for k in 0..<4 {
            let byte = bytes[position + k]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("Invalid \\uXXXX escape", at: escapeStart)
            }
            value = value << 4 | digit
        }
        return value
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("Expecting value", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        var isInteger = true
        if index + 1 < bytes.count && bytes[index] == UInt8(ascii: ".") && isDigit(bytes[index + 1]) {
            isInteger = false
            index += 1
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            var probe = index + 1
            if probe < bytes.count && (bytes[probe] == UInt8(ascii: "+") || bytes[probe] == UInt8(ascii: "-")) {
                probe += 1
            }
            if probe < bytes.count && isDigit(bytes[probe]) {
                isInteger = false
                index = probe
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let int = Int(text) { return .int(int) }
        return .double(Double(text) ?? .nan)
    }

    @inline(__always) func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
