import OpenEnvCore

/// RFC 4180 CSV: a header row names the columns; fields may be quoted (`"a, ""b"""`) and
/// then hold commas, quotes and line breaks; CRLF and LF line ends both work.
///
/// Values: quoted fields are strings; an unquoted field is an integer or a float when it
/// reads as one (as the Hub's CSV loader infers), empty is `null`, anything else a string.
enum CSVReader {
    static func rows(_ bytes: [UInt8], source: String) throws(TasksetError) -> [JSONObject] {
        var records = try records(bytes, source: source)
        guard !records.isEmpty else { return [] }
        let header = records.removeFirst().map(\.text)
        var seen: Set<String> = []
        for name in header where !seen.insert(name).inserted {
            throw .malformed(source, "duplicate column '\(name)' in the header")
        }
        return try records.enumerated().map { (index, fields) throws(TasksetError) in
            guard fields.count == header.count else {
                throw .malformed(source, "row \(index + 1) has \(fields.count) fields, the header \(header.count)")
            }
            var row = JSONObject()
            for (name, field) in zip(header, fields) { row[name] = field.value }
            return row
        }
    }

    struct Field {
        var text: String
        var quoted: Bool

        var value: JSONValue {
            if quoted { return .string(text) }
            if text.isEmpty { return .null }
            if let i = Int(text) { return .int(i) }
            if let d = Double(text), d.isFinite, text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(d) }
            return .string(text)
        }
    }

    /// The records (lists of fields); blank lines are skipped.
    private static func records(_ bytes: [UInt8], source: String) throws(TasksetError) -> [[Field]] {
        var records: [[Field]] = []
        var record: [Field] = []
        var field: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var i = 0
        var line = 1
        func endField() throws(TasksetError) {
            guard let text = String(validating: field, as: UTF8.self) else { throw .malformed(source, "line \(line) is not valid UTF-8") }
            record.append(Field(text: text, quoted: quoted))
            field.removeAll(keepingCapacity: true)
            quoted = false
        }
        func endRecord() throws(TasksetError) {
            try endField()
            if !(record.count == 1 && record[0].text.isEmpty && !record[0].quoted) { records.append(record) }
            record = []
        }
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        i = start
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if c == UInt8(ascii: "\n") { line += 1 }
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                guard field.isEmpty else { throw .malformed(source, "line \(line): a quote inside an unquoted field") }
                inQuotes = true
                quoted = true
            case UInt8(ascii: ","):
                try endField()
            case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                break
            case UInt8(ascii: "\n"):
                try endRecord()
                line += 1
            default:
                if quoted { throw .malformed(source, "line \(line): text after a closing quote") }
                field.append(c)
            }
            i += 1
        }
        guard !inQuotes else { throw .malformed(source, "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty || quoted { try endRecord() }
        return records
    }
}
