/// Sequential little-endian reads over a page's bytes; every read checks its bounds.
struct ByteCursor {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - position }

    mutating func take(_ count: Int) throws(ParquetError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .corrupt("page data ends early (wanted \(count) bytes, \(remaining) left)") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func byte() throws(ParquetError) -> UInt8 { try take(1).first! }

    mutating func uint32() throws(ParquetError) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    mutating func uint64() throws(ParquetError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    mutating func uleb128() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw .corrupt("varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func zigzag() throws(ParquetError) -> Int64 {
        let n = try uleb128()
        return Int64(bitPattern: n >> 1) ^ -Int64(bitPattern: n & 1)
    }

    /// `count` values of `bitWidth` bits each, packed least-significant bit first.
    mutating func bitPacked(_ count: Int, bitWidth: Int) throws(ParquetError) -> [UInt64] {
        guard bitWidth > 0 else { return [UInt64](repeating: 0, count: count) }
        guard bitWidth <= 64 else { throw .corrupt("bit width \(bitWidth)") }
        let data = try take((count * bitWidth + 7) / 8)
        var values = [UInt64](repeating: 0, count: count)
        var bit = 0
        let base = data.startIndex
        for i in 0..<count {
            var value: UInt64 = 0
            var got = 0
            while got < bitWidth {
                let byte = UInt64(data[base + (bit >> 3)])
                let offset = bit & 7
                let n = min(8 - offset, bitWidth - got)
                value |= ((byte >> UInt64(offset)) & ((1 << UInt64(n)) - 1)) << UInt64(got)
                got += n
                bit += n
            }
            values[i] = value
        }
        return values
    }
}

/// The RLE / bit-packing hybrid of Parquet (levels, dictionary indices, RLE booleans).
enum RLEHybrid {
    /// Reads `count` values of `bitWidth` bits from the cursor's remaining bytes.
    static func decode(_ cursor: inout ByteCursor, bitWidth: Int, count: Int) throws(ParquetError) -> [Int] {
        var values: [Int] = []
        values.reserveCapacity(count)
        let valueBytes = (bitWidth + 7) / 8
        while values.count < count {
            let header = try cursor.uleb128()
            if header & 1 == 0 {
                let run = Int(header >> 1)
                var value = 0
                for (i, b) in try cursor.take(valueBytes).enumerated() { value |= Int(b) << (8 * i) }
                guard run <= count - values.count else {
                    values.append(contentsOf: repeatElement(value, count: count - values.count))
                    break
                }
                values.append(contentsOf: repeatElement(value, count: run))
            } else {
                let groups = Int(header >> 1)
                guard groups > 0 else { throw .corrupt("empty bit-packed run") }
                let packed = try cursor.bitPacked(groups * 8, bitWidth: bitWidth)
                for v in packed.prefix(count - values.count) { values.append(Int(v)) }
            }
        }
        return values
    }

    /// The bit width of levels up to `maxLevel`.
    static func bitWidth(_ maxLevel: Int) -> Int { maxLevel == 0 ? 0 : Int.bitWidth - maxLevel.leadingZeroBitCount }
}
