import Foundation
import OpenEnvCore

/// A Parquet file read natively: its rows as JSON objects.
///
/// Supported: data pages v1 and v2; PLAIN, dictionary (PLAIN_DICTIONARY, RLE_DICTIONARY),
/// RLE (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
/// BYTE_STREAM_SPLIT encodings; UNCOMPRESSED, SNAPPY, GZIP and ZSTD pages; every physical
/// type; required, optional and repeated fields, with lists (standard and legacy forms),
/// structs, lists of structs and maps (as lists of `{key, value}`). Values become JSON as
/// ``LogicalValue`` describes. Anything else (LZ4, Brotli, encryption, DECIMAL in byte
/// arrays) is a clear ``ParquetError/unsupported(_:)``, never a wrong value.
public struct ParquetFile: Sendable {
    public let rowCount: Int
    /// The leaf columns' dotted paths, in schema order.
    public var columnPaths: [String] { columns.map(\.dottedPath) }

    private let bytes: [UInt8]
    private let metadata: FileMetadata
    private let columns: [ColumnDescriptor]

    public init(bytes: [UInt8]) throws(ParquetError) {
        guard bytes.count >= 12, bytes.prefix(4).elementsEqual("PAR1".utf8) else { throw .notParquet("no PAR1 header") }
        let magic = bytes.suffix(4)
        if magic.elementsEqual("PARE".utf8) { throw .unsupported("encrypted footer") }
        guard magic.elementsEqual("PAR1".utf8) else { throw .notParquet("no PAR1 trailer") }
        var cursor = ByteCursor(bytes[(bytes.count - 8)..<(bytes.count - 4)])
        let footerLength = Int(try cursor.uint32())
        guard footerLength > 0, footerLength <= bytes.count - 12 else { throw .corrupt("footer length \(footerLength)") }
        var thrift = ThriftCompactReader(bytes, at: bytes.count - 8 - footerLength)
        metadata = try FileMetadata(try thrift.readStruct())
        columns = try ColumnDescriptor.columns(of: metadata.schema)
        rowCount = metadata.numRows
        self.bytes = bytes
    }

    /// Reads the file at `path`; throws the file system's error or a ``ParquetError``.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        try self.init(bytes: [UInt8](data))
    }

    /// Every row, in file order.
    public func rows() throws(ParquetError) -> [JSONObject] {
        var rows: [JSONObject] = []
        rows.reserveCapacity(rowCount)
        for group in metadata.rowGroups {
            guard group.columns.count == columns.count else {
                throw .corrupt("row group has \(group.columns.count) column chunks, the schema \(columns.count) columns")
            }
            var assembler = RecordAssembler(rowCount: group.numRows)
            for (chunk, descriptor) in zip(group.columns, columns) {
                do {
                    let data = try ColumnChunkReader(file: bytes, chunk: chunk, descriptor: descriptor).read()
                    try assembler.add(data, descriptor)
                } catch {
                    throw error.within("column '\(descriptor.dottedPath)'")
                }
            }
            rows += assembler.rows
        }
        return rows
    }
}
