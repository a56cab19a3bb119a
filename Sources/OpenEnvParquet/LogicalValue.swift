import OpenEnvCore

/// How a column's physical values become JSON, from its logical (or legacy converted) type:
///
/// | Parquet | JSON |
/// |---|---|
/// | BOOLEAN | `true`/`false` |
/// | INT32, INT64 (signed or unsigned integers) | integer (an unsigned 64-bit value above `Int.max` becomes a float) |
/// | FLOAT, DOUBLE | float |
/// | DECIMAL on INT32/INT64 | float (`unscaled / 10^scale`) |
/// | DATE | `"YYYY-MM-DD"` |
/// | TIMESTAMP (millis, micros, nanos), INT96 | `"YYYY-MM-DDTHH:MM:SS[.fraction]"`, `Z` appended when UTC-adjusted |
/// | BYTE_ARRAY with STRING, ENUM or JSON | string |
/// | BYTE_ARRAY without annotation | string when valid UTF-8 (older writers omit the annotation), else base64 |
/// | FIXED_LEN_BYTE_ARRAY with UUID | `"xxxxxxxx-xxxx-…"` |
/// | other FIXED_LEN_BYTE_ARRAY | base64 |
struct LogicalValue: Sendable {
    private enum Kind: Sendable {
        case plain
        case unsigned
        case decimal(scale: Int)
        case date
        case timestamp(unitsPerSecond: Int64, utc: Bool)
        case string
        case binary
        case uuid
    }

    private let kind: Kind
    let column: String

    init(_ descriptor: ColumnDescriptor) throws(ParquetError) {
        let e = descriptor.element
        column = descriptor.dottedPath
        let logical = e.logicalType
        let converted = e.convertedType
        switch descriptor.physicalType {
        case .int32, .int64:
            if let decimal = logical?.structure(5) {
                kind = .decimal(scale: decimal.int(1) ?? 0)
            } else if converted == 5 {
                kind = .decimal(scale: e.scale ?? 0)
            } else if logical?.fields[6] != nil || converted == 6 {
                kind = .date
            } else if let timestamp = logical?.structure(8) {
                let unit = timestamp.structure(2)
                let units: Int64 = unit?.fields[1] != nil ? 1_000 : unit?.fields[2] != nil ? 1_000_000 : 1_000_000_000
                kind = .timestamp(unitsPerSecond: units, utc: timestamp.bool(1) ?? false)
            } else if converted == 9 || converted == 10 {
                kind = .timestamp(unitsPerSecond: converted == 9 ? 1_000 : 1_000_000, utc: true)
            } else if let integer = logical?.structure(10), integer.bool(2) == false {
                kind = .unsigned
            } else if let converted, (11...14).contains(converted) {
                kind = .unsigned
            } else {
                kind = .plain
            }
        case .byteArray:
            if logical?.fields[5] != nil || converted == 5 {
                throw .unsupported("DECIMAL stored as BYTE_ARRAY in column '\(column)'")
            }
            let isString = logical.map { $0.fields[1] != nil || $0.fields[4] != nil || $0.fields[12] != nil } ?? false
            kind = isString || converted == 0 || converted == 4 || converted == 19 ? .string : .binary
        case .fixedLenByteArray:
            if logical?.fields[5] != nil || converted == 5 {
                throw .unsupported("DECIMAL stored as FIXED_LEN_BYTE_ARRAY in column '\(column)'")
            }
            kind = logical?.fields[14] != nil ? .uuid : .binary
        case .int96:
            kind = .timestamp(unitsPerSecond: 1_000_000_000, utc: false)
        case .boolean, .float, .double:
            kind = .plain
        }
    }

    func int32(_ v: Int32) -> JSONValue {
        switch kind {
        case .unsigned: .int(Int(UInt32(bitPattern: v)))
        case .decimal(let scale): .double(Double(v) / pow10(scale))
        case .date: .string(Self.date(days: Int64(v)))
        case .timestamp(let units, let utc): .string(Self.timestamp(Int64(v), unitsPerSecond: units, utc: utc))
        default: .int(Int(v))
        }
    }

    func int64(_ v: Int64) -> JSONValue {
        switch kind {
        case .unsigned: v >= 0 ? .int(Int(v)) : .double(Double(UInt64(bitPattern: v)))
        case .decimal(let scale): .double(Double(v) / pow10(scale))
        case .date: .string(Self.date(days: v))
        case .timestamp(let units, let utc): .string(Self.timestamp(v, unitsPerSecond: units, utc: utc))
        default: .int(Int(v))
        }
    }

    /// INT96 legacy timestamps: nanoseconds of the day, then the Julian day number.
    func int96(_ bytes: ArraySlice<UInt8>) -> JSONValue {
        let b = Array(bytes)
        var nanos: Int64 = 0
        for i in 0..<8 { nanos |= Int64(b[i]) << (8 * Int64(i)) }
        var julian: Int64 = 0
        for i in 0..<4 { julian |= Int64(b[8 + i]) << (8 * Int64(i)) }
        let days = julian - 2_440_588
        return .string(Self.timestamp(days * 86_400_000_000_000 + nanos, unitsPerSecond: 1_000_000_000, utc: false))
    }

    func bytes(_ bytes: ArraySlice<UInt8>) throws(ParquetError) -> JSONValue {
        switch kind {
        case .string:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .corrupt("column '\(column)': a STRING value is not valid UTF-8")
            }
            return .string(text)
        case .uuid where bytes.count == 16:
            let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
            return .string([hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-"))
        default:
            if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            return .string(Base64.encode(bytes))
        }
    }

    private func pow10(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, n) { result *= 10 }
        return result
    }

    /// `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian).
    static func date(days: Int64) -> String {
        let (y, m, d) = civil(days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    static func timestamp(_ value: Int64, unitsPerSecond: Int64, utc: Bool) -> String {
        var seconds = value / unitsPerSecond
        var fraction = value % unitsPerSecond
        if fraction < 0 {
            fraction += unitsPerSecond
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        var text = "\(date(days: days))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 {
            let digits = String(unitsPerSecond).count - 1
            text += "." + pad(fraction, digits)
        }
        return utc ? text + "Z" : text
    }

    /// Howard Hinnant's `civil_from_days`.
    private static func civil(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let text = String(abs(n))
        return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// Standard base64 with padding (RFC 4648), for binary values that are not text.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.endIndex ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.endIndex ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.endIndex ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.endIndex ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
