import OpenEnvCore

/// The decoded contents of one column chunk: a level pair per value slot and the non-null
/// values in order (a slot holds a value exactly when its definition level is the maximum).
struct ColumnChunkData {
    /// `nil` when the column has no repeated node (every level 0).
    var repetitionLevels: [Int]?
    /// `nil` when the column has no optional or repeated node (every value present).
    var definitionLevels: [Int]?
    var values: [JSONValue]
    var slotCount: Int
}

/// Reads the pages of one column chunk: dictionary page, data pages (v1 and v2), with
/// decompression, levels and values.
struct ColumnChunkReader {
    let file: [UInt8]
    let chunk: FileMetadata.ColumnChunk
    let descriptor: ColumnDescriptor
    let decoding: ValueDecoding

    init(file: [UInt8], chunk: FileMetadata.ColumnChunk, descriptor: ColumnDescriptor) throws(ParquetError) {
        self.file = file
        self.chunk = chunk
        self.descriptor = descriptor
        decoding = ValueDecoding(descriptor: descriptor, logical: try LogicalValue(descriptor))
    }

    func read() throws(ParquetError) -> ColumnChunkData {
        var start = chunk.dataPageOffset
        if let dictionaryOffset = chunk.dictionaryPageOffset, dictionaryOffset > 0, dictionaryOffset < start { start = dictionaryOffset }
        let end = min(file.count - 8, start + max(chunk.totalCompressedSize, 0))
        guard start >= 4, start < end else { throw .corrupt("column chunk at \(start)..<\(end)") }
        let maxRepetition = descriptor.maxRepetitionLevel
        let maxDefinition = descriptor.maxDefinitionLevel
        var result = ColumnChunkData(
            repetitionLevels: maxRepetition > 0 ? [] : nil, definitionLevels: maxDefinition > 0 ? [] : nil, values: [], slotCount: 0)
        var dictionary: [JSONValue]?
        var position = start
        while result.slotCount < chunk.numValues {
            guard position < end else { throw .corrupt("column chunk ends after \(result.slotCount) of \(chunk.numValues) values") }
            var thrift = ThriftCompactReader(file, at: position)
            let header = try PageHeader(try thrift.readStruct())
            position = thrift.position
            guard header.compressedSize <= end - position else { throw .corrupt("page of \(header.compressedSize) bytes past the chunk's end") }
            let body = file[position..<(position + header.compressedSize)]
            position += header.compressedSize
            switch header.kind {
            case .dictionary(let count, let encoding):
                guard encoding == ParquetEncoding.plain.rawValue || encoding == ParquetEncoding.plainDictionary.rawValue else {
                    throw .unsupported("dictionary page encoding \(encoding)")
                }
                let page = try Decompression.decompress(body, codec: chunk.codec, uncompressedSize: header.uncompressedSize)
                dictionary = try decoding.decode(page[...], encoding: ParquetEncoding.plain.rawValue, count: count, dictionary: nil)
            case .data(let count, let encoding):
                let page = try Decompression.decompress(body, codec: chunk.codec, uncompressedSize: header.uncompressedSize)
                var cursor = ByteCursor(page[...])
                let repetition = try levels(&cursor, max: maxRepetition, count: count, lengthPrefixed: true)
                let definition = try levels(&cursor, max: maxDefinition, count: count, lengthPrefixed: true)
                try append(count: count, repetition, definition, cursor.bytes[cursor.position...], encoding, dictionary, to: &result)
            case .dataV2(let count, let encoding, let definitionLength, let repetitionLength, let isCompressed):
                guard repetitionLength >= 0, definitionLength >= 0, repetitionLength + definitionLength <= body.count else {
                    throw .corrupt("data page v2 level lengths")
                }
                var repetitionCursor = ByteCursor(body.prefix(repetitionLength))
                var definitionCursor = ByteCursor(body.dropFirst(repetitionLength).prefix(definitionLength))
                let repetition = try levels(&repetitionCursor, max: maxRepetition, count: count, lengthPrefixed: false)
                let definition = try levels(&definitionCursor, max: maxDefinition, count: count, lengthPrefixed: false)
                let compressedValues = body.dropFirst(repetitionLength + definitionLength)
                let valuesSize = header.uncompressedSize - repetitionLength - definitionLength
                let values = isCompressed
                    ? try Decompression.decompress(compressedValues, codec: chunk.codec, uncompressedSize: valuesSize)[...]
                    : compressedValues
                try append(count: count, repetition, definition, values, encoding, dictionary, to: &result)
            case .other:
                continue
            }
        }
        return result
    }

    private func levels(_ cursor: inout ByteCursor, max: Int, count: Int, lengthPrefixed: Bool) throws(ParquetError) -> [Int]? {
        guard max > 0 else { return nil }
        if lengthPrefixed {
            let length = Int(try cursor.uint32())
            var levelCursor = ByteCursor(try cursor.take(length))
            return try RLEHybrid.decode(&levelCursor, bitWidth: RLEHybrid.bitWidth(max), count: count)
        }
        return try RLEHybrid.decode(&cursor, bitWidth: RLEHybrid.bitWidth(max), count: count)
    }

    private func append(
        count: Int, _ repetition: [Int]?, _ definition: [Int]?, _ data: ArraySlice<UInt8>, _ encoding: Int,
        _ dictionary: [JSONValue]?, to result: inout ColumnChunkData
    ) throws(ParquetError) {
        let maxDefinition = descriptor.maxDefinitionLevel
        let present = definition.map { $0.reduce(0) { $0 + ($1 == maxDefinition ? 1 : 0) } } ?? count
        let values = try decoding.decode(data, encoding: encoding, count: present, dictionary: dictionary)
        guard values.count == present else { throw .corrupt("page holds \(values.count) values, its levels say \(present)") }
        if let repetition { result.repetitionLevels?.append(contentsOf: repetition) }
        if let definition { result.definitionLevels?.append(contentsOf: definition) }
        result.values.append(contentsOf: values)
        result.slotCount += count
    }
}
