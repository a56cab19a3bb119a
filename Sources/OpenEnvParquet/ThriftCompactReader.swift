/// A value of the Thrift compact protocol, as Parquet's footer and page headers use it.
/// The reader keeps every field, so typed accessors decide what they need and unknown
/// fields (from newer writers) are skipped by construction.
indirect enum ThriftValue: Sendable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary(ArraySlice<UInt8>)
    case list([ThriftValue])
    case map([(ThriftValue, ThriftValue)])
    case structure(ThriftStruct)
}

/// A decoded Thrift struct: field id → value.
struct ThriftStruct: Sendable {
    var fields: [Int16: ThriftValue] = [:]

    func int(_ id: Int16) -> Int? { if case .int(let v)? = fields[id] { Int(v) } else { nil } }
    func bool(_ id: Int16) -> Bool? { if case .bool(let v)? = fields[id] { v } else { nil } }
    func string(_ id: Int16) -> String? {
        if case .binary(let bytes)? = fields[id] { String(decoding: bytes, as: UTF8.self) } else { nil }
    }
    func structure(_ id: Int16) -> ThriftStruct? { if case .structure(let s)? = fields[id] { s } else { nil } }
    func list(_ id: Int16) -> [ThriftValue]? { if case .list(let l)? = fields[id] { l } else { nil } }
    func structs(_ id: Int16) -> [ThriftStruct] {
        (list(id) ?? []).compactMap { if case .structure(let s) = $0 { s } else { nil } }
    }
    func strings(_ id: Int16) -> [String] {
        (list(id) ?? []).compactMap { if case .binary(let b) = $0 { String(decoding: b, as: UTF8.self) } else { nil } }
    }
    func ints(_ id: Int16) -> [Int] { (list(id) ?? []).compactMap { if case .int(let v) = $0 { Int(v) } else { nil } } }
}

/// Reads Thrift compact-protocol structs from a byte buffer.
struct ThriftCompactReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    private var depth = 0

    init(_ bytes: [UInt8], at position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// Reads one struct starting at the current position.
    mutating func readStruct() throws(ParquetError) -> ThriftStruct {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw .corrupt("Thrift structures nested too deeply") }
        var result = ThriftStruct()
        var lastID: Int16 = 0
        while true {
            let header = try byte()
            let type = header & 0x0F
            if type == 0 { return result }
            let delta = Int16(header >> 4)
            let id: Int16
            if delta == 0 {
                id = Int16(truncatingIfNeeded: zigzag(try varint()))
            } else {
                id = lastID &+ delta
            }
            lastID = id
            switch type {
            case 1: result.fields[id] = .bool(true)
            case 2: result.fields[id] = .bool(false)
            default: result.fields[id] = try value(type)
            }
        }
    }

    private mutating func value(_ type: UInt8) throws(ParquetError) -> ThriftValue {
        switch type {
        case 1, 2: return .bool(try byte() == 1)  // inside containers: one byte, 1 = true
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(zigzag(try varint()))
        case 7:
            let raw = try fixed(8)
            var bits: UInt64 = 0
            for (i, b) in raw.enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
            return .double(Double(bitPattern: bits))
        case 8:
            let length = Int(try varint())
            return .binary(try fixed(length))
        case 9, 10:
            let header = try byte()
            var count = Int(header >> 4)
            if count == 15 { count = Int(try varint()) }
            let elementType = header & 0x0F
            guard count <= bytes.count - position else { throw .corrupt("Thrift list of \(count) elements past the end") }
            var items: [ThriftValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(elementType)) }
            return .list(items)
        case 11:
            let count = Int(try varint())
            guard count > 0 else { return .map([]) }
            guard count <= bytes.count - position else { throw .corrupt("Thrift map of \(count) entries past the end") }
            let types = try byte()
            var entries: [(ThriftValue, ThriftValue)] = []
            for _ in 0..<count { entries.append((try value(types >> 4), try value(types & 0x0F))) }
            return .map(entries)
        case 12: return .structure(try readStruct())
        default: throw .corrupt("unknown Thrift type \(type) at byte \(position)")
        }
    }

    private mutating func byte() throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw .corrupt("Thrift data ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func fixed(_ count: Int) throws(ParquetError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else { throw .corrupt("Thrift field of \(count) bytes past the end") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func varint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw .corrupt("Thrift varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private func zigzag(_ n: UInt64) -> Int64 { Int64(bitPattern: n >> 1) ^ -Int64(bitPattern: n & 1) }
}
