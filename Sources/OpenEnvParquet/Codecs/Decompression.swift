/// Page decompression for the Parquet codecs the reader supports. Snappy (pyarrow's default)
/// is decoded here in Swift; gzip and zstd go to the system's zlib and libzstd, loaded at
/// run time (``SharedLibrary``), so building the reader needs no C headers and reading a
/// JSON Lines or CSV taskset needs no C library at all. The uncompressed size always comes
/// from the page header, and a result of any other size is an error.
enum Decompression {
    static func decompress(_ input: ArraySlice<UInt8>, codec: ParquetCodec, uncompressedSize: Int) throws(ParquetError) -> [UInt8] {
        switch codec {
        case .uncompressed:
            guard input.count == uncompressedSize else { throw .corrupt("uncompressed page of \(input.count) bytes, header says \(uncompressedSize)") }
            return Array(input)
        case .snappy: return try Snappy.decompress(input, uncompressedSize: uncompressedSize)
        case .gzip: return try Zlib.inflate(input, uncompressedSize: uncompressedSize)
        case .zstd: return try Zstd.decompress(input, uncompressedSize: uncompressedSize)
        default: throw .unsupported("compression codec \(codec)")
        }
    }
}
