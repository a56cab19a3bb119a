/// The Snappy block format (google/snappy, format_description.txt): a varint of the
/// uncompressed length, then elements tagged by their first byte's low two bits: a literal
/// (00), or a copy of earlier output at an offset of 1 (01, 11-bit offset), 2 (10) or 4 (11)
/// bytes. Copies may overlap their own output (a run), so they go byte by byte.
enum Snappy {
    static func decompress(_ input: ArraySlice<UInt8>, uncompressedSize: Int) throws(ParquetError) -> [UInt8] {
        var position = input.startIndex
        let end = input.endIndex

        func byte() throws(ParquetError) -> Int {
            guard position < end else { throw .corrupt("snappy page ends inside an element") }
            defer { position += 1 }
            return Int(input[position])
        }
        func littleEndian(_ count: Int) throws(ParquetError) -> Int {
            var value = 0
            for shift in 0..<count { value |= try byte() << (8 * shift) }
            return value
        }

        var declared = 0
        var shift = 0
        while true {
            let next = try byte()
            guard shift <= 28 else { throw .corrupt("snappy length varint is too long") }
            declared |= (next & 0x7F) << shift
            if next & 0x80 == 0 { break }
            shift += 7
        }
        guard declared == uncompressedSize else {
            throw .corrupt("snappy page declares \(declared) bytes, header says \(uncompressedSize)")
        }

        var output: [UInt8] = []
        output.reserveCapacity(declared)
        while position < end {
            let tag = try byte()
            switch tag & 0b11 {
            case 0:
                var length = tag >> 2
                if length >= 60 { length = try littleEndian(length - 59) }
                length += 1
                guard length <= end - position, output.count + length <= declared else {
                    throw .corrupt("snappy literal of \(length) bytes overruns the page")
                }
                output.append(contentsOf: input[position..<position + length])
                position += length
            case 1:
                try copy(length: ((tag >> 2) & 0b111) + 4, offset: ((tag >> 5) << 8) | byte())
            case 2:
                try copy(length: (tag >> 2) + 1, offset: littleEndian(2))
            default:
                try copy(length: (tag >> 2) + 1, offset: littleEndian(4))
            }
        }
        guard output.count == declared else {
            throw .corrupt("snappy page decompresses to \(output.count) bytes, header says \(declared)")
        }
        return output

        func copy(length: Int, offset: Int) throws(ParquetError) {
            guard offset > 0, offset <= output.count else { throw .corrupt("snappy copy from offset \(offset) before the start") }
            guard output.count + length <= declared else { throw .corrupt("snappy copy of \(length) bytes overruns the page") }
            let start = output.count - offset
            for index in 0..<length { output.append(output[start + index]) }
        }
    }
}
