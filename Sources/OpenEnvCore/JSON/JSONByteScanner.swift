/// A validating scanner over JSON text that locates values without building a tree: the
/// first stage of the `/ws` step fast path (``StepEnvelope``, ``JSONBytesDecoder``).
///
/// It accepts a strict subset of what ``JSONParser`` accepts and answers `nil` ("let the
/// parser decide") for everything else: strings holding a backslash, a control character
/// or any non-ASCII byte; `NaN`/`Infinity`; nesting deeper than ``maximumDepth``. So
/// whatever it accepts, ``JSONParser`` parses to the same document, and every error
/// message still comes from the parser.
package struct JSONByteScanner {
    package static let maximumDepth = 32

    let bytes: UnsafeBufferPointer<UInt8>
    package var index: Int

    package init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    package var isAtEnd: Bool { index >= bytes.count }

    package mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace) if it comes next.
    package mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The byte after whitespace, without consuming it.
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// A string without escapes; returns the range of its contents (quotes excluded).
    package mutating func string() -> Range<Int>? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var i = start
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                index = i + 1
                return start..<i
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return nil }
            i += 1
        }
        return nil
    }

    /// Skips one value; returns its range, or `nil` when the value is outside the subset.
    package mutating func value(depth: Int = 0) -> Range<Int>? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "\""):
            guard string() != nil else { return nil }
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { return nil }
            index += 1
            if !consume(UInt8(ascii: "}")) {
                repeat {
                    guard string() != nil, consume(UInt8(ascii: ":")), value(depth: depth + 1) != nil else { return nil }
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "}")) else { return nil }
            }
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { return nil }
            index += 1
            if !consume(UInt8(ascii: "]")) {
                repeat {
                    guard value(depth: depth + 1) != nil else { return nil }
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "]")) else { return nil }
            }
        case UInt8(ascii: "t"): guard word("true") else { return nil }
        case UInt8(ascii: "f"): guard word("false") else { return nil }
        case UInt8(ascii: "n"): guard word("null") else { return nil }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard number() else { return nil }
        default: return nil
        }
        return start..<index
    }

    private mutating func word(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for k in 0..<count where bytes[index + k] != text.utf8Start[k] { return false }
        index += count
        return true
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the grammar of RFC 8259.
    private mutating func number() -> Bool {
        var i = index
        func digits() -> Bool {
            let start = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i > start
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { return false }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits() else { return false }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() else { return false }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() else { return false }
        }
        index = i
        return true
    }

    /// Whether the bytes at `range` spell the literal `name` (read in place: no copy).
    package func bytes(_ range: Range<Int>, equal name: StaticString) -> Bool {
        name.withUTF8Buffer { bytes(range, spell: $0) }
    }

    /// Whether the key bytes at `range` spell `name`.
    package func bytes(_ range: Range<Int>, equalKey name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes(range, spell: $0) }
    }

    private func bytes(_ range: Range<Int>, spell utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes[range].elementsEqual(utf8)
    }

    package func bytes(_ a: Range<Int>, equal b: Range<Int>) -> Bool {
        bytes[a].elementsEqual(bytes[b])
    }
}

/// The one `/ws` frame shape the step fast path takes: `{"type":"step","data":{…}}`, the
/// members in either order, nothing else, all of it inside ``JSONByteScanner``'s subset.
/// Every other frame (errors included) goes through the parser and the envelope checks.
package enum StepEnvelope {
    /// The range of the `data` object in `frame`, or `nil` when the frame is not a plain step.
    package static func dataRange(in frame: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var scanner = JSONByteScanner(frame)
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        var type: Range<Int>?
        var data: Range<Int>?
        repeat {
            guard let key = scanner.string(), scanner.consume(UInt8(ascii: ":")) else { return nil }
            if type == nil, scanner.bytes(key, equal: "type") {
                guard let value = scanner.string(), scanner.bytes(value, equal: "step") else { return nil }
                type = value
            } else if data == nil, scanner.bytes(key, equal: "data") {
                guard scanner.peek() == UInt8(ascii: "{"), let value = scanner.value(depth: 1) else { return nil }
                data = value
            } else {
                return nil
            }
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "}")) else { return nil }
        scanner.skipWhitespace()
        guard scanner.isAtEnd, type != nil else { return nil }
        return data
    }

    /// The ranges of the action objects in `data`, the `data` object of a batched step
    /// (`{"actions":[{…},…]}`, no other member, every action an object), or `nil` when
    /// `data` has another shape: then the parser and the endpoint's checks decide.
    package static func actionRanges(in frame: UnsafeBufferPointer<UInt8>, data: Range<Int>) -> [Range<Int>]? {
        var scanner = JSONByteScanner(UnsafeBufferPointer(rebasing: frame[..<data.upperBound]), at: data.lowerBound)
        guard scanner.consume(UInt8(ascii: "{")), let key = scanner.string(), scanner.bytes(key, equal: "actions"),
            scanner.consume(UInt8(ascii: ":")), scanner.consume(UInt8(ascii: "["))
        else { return nil }
        var ranges: [Range<Int>] = []
        if !scanner.consume(UInt8(ascii: "]")) {
            repeat {
                guard scanner.peek() == UInt8(ascii: "{"), let action = scanner.value(depth: 3) else { return nil }
                ranges.append(action)
            } while scanner.consume(UInt8(ascii: ","))
            guard scanner.consume(UInt8(ascii: "]")) else { return nil }
        }
        guard scanner.consume(UInt8(ascii: "}")) else { return nil }
        scanner.skipWhitespace()
        return scanner.isAtEnd ? ranges : nil
    }
}

