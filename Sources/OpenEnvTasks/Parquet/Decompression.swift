import CSnappy
import CZlib
import CZstd

/// Page decompression for the Parquet codecs the reader supports, through the system
/// libraries (libsnappy, zlib, libzstd). The uncompressed size always comes from the page
/// header, and a result of any other size is an error.
enum Decompression {
    static func decompress(_ input: ArraySlice<UInt8>, codec: ParquetCodec, uncompressedSize: Int) throws(ParquetError) -> [UInt8] {
        switch codec {
        case .uncompressed:
            guard input.count == uncompressedSize else { throw .corrupt("uncompressed page of \(input.count) bytes, header says \(uncompressedSize)") }
            return Array(input)
        case .snappy: return try snappy(input, uncompressedSize)
        case .gzip: return try gzip(input, uncompressedSize)
        case .zstd: return try zstd(input, uncompressedSize)
        default: throw .unsupported("compression codec \(codec)")
        }
    }

    private static func snappy(_ input: ArraySlice<UInt8>, _ size: Int) throws(ParquetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var length = size
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                snappy_uncompress(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self), source.count,
                    target.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
            }
        }
        guard status == SNAPPY_OK, length == size else { throw .corrupt("snappy page does not decompress to \(size) bytes") }
        return output
    }

    private static func zstd(_ input: ArraySlice<UInt8>, _ size: Int) throws(ParquetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                ZSTD_decompress(target.baseAddress, target.count, source.baseAddress, source.count)
            }
        }
        guard ZSTD_isError(written) == 0 else {
            throw .corrupt("zstd page: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == size else { throw .corrupt("zstd page decompresses to \(written) bytes, header says \(size)") }
        return output
    }

    /// gzip (and, accepted as well, zlib) streams: inflate with automatic header detection.
    private static func gzip(_ input: ArraySlice<UInt8>, _ size: Int) throws(ParquetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not be initialized")
        }
        defer { inflateEnd(&stream) }
        var input = Array(input)
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw .corrupt("gzip page does not inflate to \(size) bytes (zlib status \(status))")
        }
        return output
    }
}
