/// Writes ``JSONValue`` documents as UTF-8 text.
///
/// Two styles exist because the reference server uses two: ``Style/compact`` (pydantic:
/// no spaces, raw UTF-8, floats like `1e-7`) for HTTP bodies and `/ws` frames, and
/// ``Style/python`` (`json.dumps` defaults: `", "` and `": "`, non-ASCII escaped as
/// `\uXXXX`, floats like `1e-07`) for WebSocket `/mcp` frames. Non-finite numbers are
/// written as `null` in both, as the reference does.
public struct JSONWriter: Sendable {
    public enum Style: Sendable { case compact, python }

    public var style: Style

    public init(style: Style = .compact) { self.style = style }

    /// Serializes `value` to a string.
    public func string(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        write(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Serializes `value` to UTF-8 bytes.
    public func bytes(_ value: JSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        write(value, into: &bytes)
        return bytes
    }

    /// Appends the serialization of `value` to `out`.
    public func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): writeInteger(i, into: &out)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (n, element) in elements.enumerated() {
                if n > 0 { writeSeparator(into: &out) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (n, member) in object.members.enumerated() {
                if n > 0 { writeSeparator(into: &out) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if style == .python { out.append(UInt8(ascii: " ")) }
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private func writeSeparator(into out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        if style == .python { out.append(UInt8(ascii: " ")) }
    }

    /// Appends `[…]` of `values`, what `write(.array(values.map(JSONValue.int)))` writes,
    /// without the array of `JSONValue`s.
    func writeIntegers(_ values: [Int], into out: inout [UInt8]) {
        writeArray(values, into: &out) { writeInteger($0, into: &$1) }
    }

    /// Appends `[…]` of `values`, what `write(.array(values.map(JSONValue.string)))` writes,
    /// without the array of `JSONValue`s.
    func writeStrings(_ values: [String], into out: inout [UInt8]) {
        writeArray(values, into: &out) { writeString($0, into: &$1) }
    }

    private func writeArray<Element>(_ elements: [Element], into out: inout [UInt8], _ writeElement: (Element, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        for (n, element) in elements.enumerated() {
            if n > 0 { writeSeparator(into: &out) }
            writeElement(element, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    func writeDouble(_ d: Double, into out: inout [UInt8]) {
        guard d.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        // Whole numbers below 2^53 (an observation's 0.0s and 1.0s) print as `3.0` in both
        // Swift and Python: written directly, without formatting a String.
        if d.magnitude < 9_007_199_254_740_992, d == d.rounded(.towardZero) {
            if d.sign == .minus { out.append(UInt8(ascii: "-")) }
            writeInteger(Int(d.magnitude), into: &out)
            out.append(UInt8(ascii: "."))
            out.append(UInt8(ascii: "0"))
            return
        }
        // Swift's shortest round-trip form matches Python's repr (`1e-07`, `1e+16`, `0.5`,
        // `3.0`); pydantic writes exponents without padding or plus sign (`1e-7`, `1e16`).
        var text = d.description
        if style == .compact, text.utf8.contains(UInt8(ascii: "e")), let e = text.firstIndex(of: "e") {
            let mantissa = text[..<e]
            var exponent = text[text.index(after: e)...]
            var sign = ""
            if exponent.first == "-" { sign = "-" }
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            while exponent.count > 1 && exponent.first == "0" { exponent = exponent.dropFirst() }
            text = "\(mantissa)e\(sign)\(exponent)"
        }
        out.append(contentsOf: text.utf8)
    }

    /// Appends `[…]` of `values`, what `write(.array(values.map(JSONValue.double)))` writes:
    /// in place, whole numbers digit by digit (an observation's board or image of numbers
    /// is most of its bytes, and an `append` per byte is most of their cost).
    func writeDoubles(_ values: [Double], into out: inout [UInt8]) {
        guard style == .compact else { return write(.array(values.map(JSONValue.double)), into: &out) }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 2 + 25 * values.count))  // "-9007199254740991.0," at most
        var scratch: [UInt8] = []
        let end = out.withUnsafeMutableBufferPointer { buffer in
            var p = start
            buffer[p] = UInt8(ascii: "[")
            p += 1
            for (n, d) in values.enumerated() {
                if n > 0 {
                    buffer[p] = UInt8(ascii: ",")
                    p += 1
                }
                if d.sign == .plus, d < 10, let digit = UInt8(exactly: d) {  // a board's 0.0s and 1.0s
                    buffer[p] = UInt8(ascii: "0") + digit
                    buffer[p + 1] = UInt8(ascii: ".")
                    buffer[p + 2] = UInt8(ascii: "0")
                    p += 3
                } else if d.magnitude < 9_007_199_254_740_992, d == d.rounded(.towardZero) {
                    if d.sign == .minus {
                        buffer[p] = UInt8(ascii: "-")
                        p += 1
                    }
                    p = Self.putDigits(UInt64(d.magnitude), into: buffer, at: p)
                    buffer[p] = UInt8(ascii: ".")
                    buffer[p + 1] = UInt8(ascii: "0")
                    p += 2
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    writeDouble(d, into: &scratch)  // at most 24 bytes ("-2.2250738585072014e-308")
                    for byte in scratch {
                        buffer[p] = byte
                        p += 1
                    }
                }
            }
            buffer[p] = UInt8(ascii: "]")
            return p + 1
        }
        out.removeLast(out.count - end)
    }

    /// Appends `i` in decimal, as `String(i)` spells it.
    func writeInteger(_ i: Int, into out: inout [UInt8]) {
        if i < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = i.magnitude
        if magnitude < 100 {  // most integers in observations; no buffer
            if magnitude >= 10 { out.append(UInt8(ascii: "0") + UInt8(magnitude / 10)) }
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in  // UInt64.max has 20 digits
            out.append(contentsOf: buffer[..<Self.putDigits(UInt64(magnitude), into: buffer, at: 0)])
        }
    }

    /// Writes `magnitude` in decimal at `start` of `buffer` (room for 20 digits); answers the
    /// index after the last digit.
    private static func putDigits(_ magnitude: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var end = start + 1
        var power: UInt64 = 10
        while magnitude >= power, end - start < 20 {
            end += 1
            power = power.multipliedReportingOverflow(by: 10).partialValue
        }
        var rest = magnitude
        for k in stride(from: end - 1, through: start, by: -1) {
            buffer[k] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        return end
    }

    func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if style == .compact {
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x00..<0x20: appendControlEscape(byte, into: &out)
                default: out.append(byte)
                }
            }
        } else {
            for scalar in s.unicodeScalars {
                let v = scalar.value
                switch v {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x00..<0x20: appendControlEscape(UInt8(v), into: &out)
                case 0x20..<0x7F: out.append(UInt8(v))
                case 0x7F..<0x10000: appendUnicodeEscape(UInt16(v), into: &out)
                default:
                    let u = v - 0x10000
                    appendUnicodeEscape(UInt16(0xD800 + (u >> 10)), into: &out)
                    appendUnicodeEscape(UInt16(0xDC00 + (u & 0x3FF)), into: &out)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private func appendControlEscape(_ byte: UInt8, into out: inout [UInt8]) {
        switch byte {
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        default: appendUnicodeEscape(UInt16(byte), into: &out)
        }
    }

    private func appendUnicodeEscape(_ unit: UInt16, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        out.append(hex[Int(unit >> 12) & 0xF])
        out.append(hex[Int(unit >> 8) & 0xF])
        out.append(hex[Int(unit >> 4) & 0xF])
        out.append(hex[Int(unit) & 0xF])
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { JSONWriter().string(self) }
}
