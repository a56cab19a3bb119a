import OpenEnvCore

/// Decodes the values section of a page (or a dictionary page) into JSON values.
struct ValueDecoding {
    let descriptor: ColumnDescriptor
    let logical: LogicalValue

    /// `count` values in `encoding`; dictionary encodings resolve through `dictionary`.
    func decode(_ data: ArraySlice<UInt8>, encoding: Int, count: Int, dictionary: [JSONValue]?) throws(ParquetError) -> [JSONValue] {
        var cursor = ByteCursor(data)
        switch ParquetEncoding(rawValue: encoding) {
        case .plain:
            return try plain(&cursor, count)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw .corrupt("dictionary-encoded page without a dictionary page") }
            guard count > 0 else { return [] }
            let width = Int(try cursor.byte())
            guard width <= 32 else { throw .corrupt("dictionary index width \(width)") }
            return try RLEHybrid.decode(&cursor, bitWidth: width, count: count).map { index throws(ParquetError) in
                guard index < dictionary.count else { throw .corrupt("dictionary index \(index) of \(dictionary.count)") }
                return dictionary[index]
            }
        case .rle where descriptor.physicalType == .boolean:
            _ = try cursor.uint32()
            return try RLEHybrid.decode(&cursor, bitWidth: 1, count: count).map { .bool($0 != 0) }
        case .deltaBinaryPacked:
            let values = try Self.deltaBinaryPacked(&cursor)
            guard values.count >= count else { throw .corrupt("delta page holds \(values.count) values, expected \(count)") }
            switch descriptor.physicalType {
            case .int32: return values.prefix(count).map { logical.int32(Int32(truncatingIfNeeded: $0)) }
            case .int64: return values.prefix(count).map { logical.int64($0) }
            default: throw .corrupt("DELTA_BINARY_PACKED on \(descriptor.physicalType)")
            }
        case .deltaLengthByteArray:
            return try Self.deltaLengthByteArray(&cursor, count).map { v throws(ParquetError) in try logical.bytes(v) }
        case .deltaByteArray:
            let prefixes = try Self.deltaBinaryPacked(&cursor)
            let suffixes = try Self.deltaLengthByteArray(&cursor, prefixes.count)
            var values: [JSONValue] = []
            var previous: [UInt8] = []
            for (prefix, suffix) in zip(prefixes, suffixes).prefix(count) {
                guard prefix >= 0, Int(prefix) <= previous.count else { throw .corrupt("DELTA_BYTE_ARRAY prefix \(prefix)") }
                previous = Array(previous.prefix(Int(prefix))) + suffix
                values.append(try logical.bytes(previous[...]))
            }
            return values
        case .byteStreamSplit:
            return try byteStreamSplit(&cursor, count)
        default:
            throw .unsupported("encoding \(encoding) for \(descriptor.physicalType) values")
        }
    }

    private func plain(_ cursor: inout ByteCursor, _ count: Int) throws(ParquetError) -> [JSONValue] {
        var values: [JSONValue] = []
        values.reserveCapacity(count)
        switch descriptor.physicalType {
        case .boolean:
            for bit in try cursor.bitPacked(count, bitWidth: 1) { values.append(.bool(bit != 0)) }
        case .int32:
            for _ in 0..<count { values.append(logical.int32(Int32(bitPattern: try cursor.uint32()))) }
        case .int64:
            for _ in 0..<count { values.append(logical.int64(Int64(bitPattern: try cursor.uint64()))) }
        case .int96:
            for _ in 0..<count { values.append(logical.int96(try cursor.take(12))) }
        case .float:
            for _ in 0..<count { values.append(.double(Double(Float(bitPattern: try cursor.uint32())))) }
        case .double:
            for _ in 0..<count { values.append(.double(Double(bitPattern: try cursor.uint64()))) }
        case .byteArray:
            for _ in 0..<count {
                let length = Int(try cursor.uint32())
                values.append(try logical.bytes(try cursor.take(length)))
            }
        case .fixedLenByteArray:
            let width = descriptor.element.typeLength ?? 0
            guard width > 0 else { throw .corrupt("FIXED_LEN_BYTE_ARRAY without a length") }
            for _ in 0..<count { values.append(try logical.bytes(try cursor.take(width))) }
        }
        return values
    }

    private func byteStreamSplit(_ cursor: inout ByteCursor, _ count: Int) throws(ParquetError) -> [JSONValue] {
        let width: Int
        switch descriptor.physicalType {
        case .float, .int32: width = 4
        case .double, .int64: width = 8
        case .fixedLenByteArray: width = descriptor.element.typeLength ?? 0
        default: throw .corrupt("BYTE_STREAM_SPLIT on \(descriptor.physicalType)")
        }
        let data = try cursor.take(cursor.remaining)
        guard width > 0, data.count >= width * count else { throw .corrupt("BYTE_STREAM_SPLIT page too short") }
        let n = data.count / width
        var joined = [UInt8](repeating: 0, count: width * count)
        for i in 0..<count {
            for j in 0..<width { joined[i * width + j] = data[data.startIndex + j * n + i] }
        }
        var plainCursor = ByteCursor(joined[...])
        return try plain(&plainCursor, count)
    }

    /// DELTA_BINARY_PACKED: the values of one encoded run (the cursor ends after it).
    static func deltaBinaryPacked(_ cursor: inout ByteCursor) throws(ParquetError) -> [Int64] {
        let blockSize = Int(try cursor.uleb128())
        let miniblocks = Int(try cursor.uleb128())
        let total = Int(try cursor.uleb128())
        var last = try cursor.zigzag()
        guard miniblocks > 0, blockSize > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 8 == 0 else {
            throw .corrupt("DELTA_BINARY_PACKED block \(blockSize)/\(miniblocks)")
        }
        guard total >= 0, total <= cursor.remaining * 8 + 1 else { throw .corrupt("DELTA_BINARY_PACKED count \(total)") }
        var values: [Int64] = total > 0 ? [last] : []
        let perMiniblock = blockSize / miniblocks
        while values.count < total {
            let minDelta = try cursor.zigzag()
            let widths = try cursor.take(miniblocks).map(Int.init)
            for width in widths where values.count < total {
                let deltas = try cursor.bitPacked(perMiniblock, bitWidth: width)
                for delta in deltas where values.count < total {
                    last = last &+ minDelta &+ Int64(bitPattern: delta)
                    values.append(last)
                }
            }
        }
        return values
    }

    /// DELTA_LENGTH_BYTE_ARRAY: lengths (delta-encoded), then the concatenated bytes.
    static func deltaLengthByteArray(_ cursor: inout ByteCursor, _ count: Int) throws(ParquetError) -> [ArraySlice<UInt8>] {
        let lengths = try deltaBinaryPacked(&cursor)
        guard lengths.count >= count else { throw .corrupt("DELTA_LENGTH_BYTE_ARRAY holds \(lengths.count) lengths, expected \(count)") }
        var values: [ArraySlice<UInt8>] = []
        for length in lengths.prefix(count) {
            guard length >= 0 else { throw .corrupt("negative byte array length") }
            values.append(try cursor.take(Int(length)))
        }
        return values
    }
}
