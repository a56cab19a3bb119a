/// Parquet's physical types (`Type` in parquet.thrift).
enum ParquetPhysicalType: Int, Sendable {
    case boolean = 0, int32, int64, int96, float, double, byteArray, fixedLenByteArray
}

/// Page compression codecs (`CompressionCodec` in parquet.thrift).
enum ParquetCodec: Int, Sendable, CustomStringConvertible {
    case uncompressed = 0, snappy, gzip, lzo, brotli, lz4, zstd, lz4Raw

    var description: String {
        switch self {
        case .uncompressed: "UNCOMPRESSED"
        case .snappy: "SNAPPY"
        case .gzip: "GZIP"
        case .lzo: "LZO"
        case .brotli: "BROTLI"
        case .lz4: "LZ4"
        case .zstd: "ZSTD"
        case .lz4Raw: "LZ4_RAW"
        }
    }
}

/// Value encodings (`Encoding` in parquet.thrift).
enum ParquetEncoding: Int, Sendable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5, deltaLengthByteArray = 6
    case deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

enum Repetition: Int, Sendable {
    case required = 0, optional, repeated
}

/// One entry of the footer's flattened schema.
struct SchemaElement: Sendable {
    var name: String
    var type: ParquetPhysicalType?
    var typeLength: Int?
    var repetition: Repetition
    var numChildren: Int
    var convertedType: Int?
    var scale: Int?
    var logicalType: ThriftStruct?

    init(_ s: ThriftStruct) throws(ParquetError) {
        name = s.string(4) ?? ""
        if let t = s.int(1) {
            guard let type = ParquetPhysicalType(rawValue: t) else { throw .corrupt("unknown physical type \(t) of '\(name)'") }
            self.type = type
        }
        typeLength = s.int(2)
        repetition = Repetition(rawValue: s.int(3) ?? 0) ?? .required
        numChildren = s.int(5) ?? 0
        convertedType = s.int(6)
        scale = s.int(7)
        logicalType = s.structure(10)
    }
}

/// The footer: schema, row count and where each column chunk is.
struct FileMetadata: Sendable {
    struct ColumnChunk: Sendable {
        var path: [String]
        var codec: ParquetCodec
        var numValues: Int
        var dataPageOffset: Int
        var dictionaryPageOffset: Int?
        var totalCompressedSize: Int
    }

    struct RowGroup: Sendable {
        var numRows: Int
        var columns: [ColumnChunk]
    }

    var schema: [SchemaElement]
    var numRows: Int
    var rowGroups: [RowGroup]

    init(_ s: ThriftStruct) throws(ParquetError) {
        schema = try s.structs(2).map { s throws(ParquetError) in try SchemaElement(s) }
        guard !schema.isEmpty else { throw .corrupt("the footer has no schema") }
        numRows = s.int(3) ?? 0
        var groups: [RowGroup] = []
        for group in s.structs(4) {
            var columns: [ColumnChunk] = []
            for chunk in group.structs(1) {
                guard chunk.string(1) == nil else { throw .unsupported("column chunks in other files") }
                guard let meta = chunk.structure(3) else { throw .corrupt("a column chunk without metadata") }
                let codecValue = meta.int(4) ?? 0
                guard let codec = ParquetCodec(rawValue: codecValue) else { throw .unsupported("compression codec \(codecValue)") }
                columns.append(ColumnChunk(
                    path: meta.strings(3), codec: codec, numValues: meta.int(5) ?? 0, dataPageOffset: meta.int(9) ?? 0,
                    dictionaryPageOffset: meta.int(11), totalCompressedSize: meta.int(7) ?? 0))
            }
            groups.append(RowGroup(numRows: group.int(3) ?? 0, columns: columns))
        }
        rowGroups = groups
    }
}

/// A page header (`PageHeader`), with the fields of its kind.
struct PageHeader: Sendable {
    enum Kind: Sendable {
        case data(numValues: Int, encoding: Int)
        case dataV2(numValues: Int, encoding: Int, definitionLevelsLength: Int, repetitionLevelsLength: Int, isCompressed: Bool)
        case dictionary(numValues: Int, encoding: Int)
        case other(Int)
    }

    var kind: Kind
    var uncompressedSize: Int
    var compressedSize: Int

    init(_ s: ThriftStruct) throws(ParquetError) {
        uncompressedSize = s.int(2) ?? 0
        compressedSize = s.int(3) ?? 0
        guard uncompressedSize >= 0, compressedSize >= 0 else { throw .corrupt("negative page size") }
        let type = s.int(1) ?? -1
        switch type {
        case 0:
            guard let h = s.structure(5) else { throw .corrupt("data page without its header") }
            kind = .data(numValues: h.int(1) ?? 0, encoding: h.int(2) ?? 0)
        case 2:
            guard let h = s.structure(7) else { throw .corrupt("dictionary page without its header") }
            kind = .dictionary(numValues: h.int(1) ?? 0, encoding: h.int(2) ?? 0)
        case 3:
            guard let h = s.structure(8) else { throw .corrupt("data page v2 without its header") }
            kind = .dataV2(
                numValues: h.int(1) ?? 0, encoding: h.int(4) ?? 0, definitionLevelsLength: h.int(5) ?? 0,
                repetitionLevelsLength: h.int(6) ?? 0, isCompressed: h.bool(7) ?? true)
        default:
            kind = .other(type)
        }
    }
}
