#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A C library opened with `dlopen` the first time a page needs it. zlib and libzstd are
/// part of every Debian root (even `debootstrap --variant=minbase`: dpkg and apt link them),
/// so the binary needs neither their headers to build nor a `-dev` package to run.
struct SharedLibrary: @unchecked Sendable {  // a dlopen handle, never closed, read-only after init
    let name: String
    private let handle: UnsafeMutableRawPointer

    /// Opens the first of `candidates` that loads, or `nil` with none.
    init?(_ candidates: [String]) {
        for candidate in candidates {
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) {
                self.name = candidate
                self.handle = handle
                return
            }
        }
        return nil
    }

    /// The address of `symbol`, as a C function of type `T`.
    func function<T>(_ symbol: String, as type: T.Type) throws(ParquetError) -> T {
        guard let address = dlsym(handle, symbol) else { throw .unsupported("\(name) has no \(symbol)") }
        return unsafeBitCast(address, to: type)
    }
}

/// zlib's `inflate`, for gzip pages (and zlib streams: the window bits ask for header detection).
enum Zlib {
    private typealias Version = @convention(c) () -> UnsafePointer<CChar>
    private typealias InflateInit = @convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<CChar>, Int32) -> Int32
    private typealias Inflate = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32

    private static let library = SharedLibrary(["libz.so.1", "libz.so", "libz.dylib"])

    // z_stream on LP64 (zlib.h; the layout is part of zlib's ABI and checked by
    // inflateInit2_'s stream_size argument).
    private static let streamSize = 112
    private static let nextIn = 0, availIn = 8, nextOut = 24, availOut = 32, totalOut = 40
    private static let zOK: Int32 = 0, zStreamEnd: Int32 = 1, zFinish: Int32 = 4

    static func inflate(_ input: ArraySlice<UInt8>, uncompressedSize size: Int) throws(ParquetError) -> [UInt8] {
        guard let library else { throw .unsupported("gzip pages need zlib (libz.so.1), which this system does not have") }
        let version = try library.function("zlibVersion", as: Version.self)
        let initialize = try library.function("inflateInit2_", as: InflateInit.self)
        let inflate = try library.function("inflate", as: Inflate.self)
        let end = try library.function("inflateEnd", as: Inflate.self)
        guard size <= Int(UInt32.max), input.count <= Int(UInt32.max) else { throw .unsupported("gzip page over 4 GiB") }

        var output = [UInt8](repeating: 0, count: size)
        let stream = UnsafeMutableRawPointer.allocate(byteCount: streamSize, alignment: 8)
        defer { stream.deallocate() }
        stream.initializeMemory(as: UInt8.self, repeating: 0, count: streamSize)
        guard initialize(stream, 15 + 32, version(), Int32(streamSize)) == zOK else {
            throw .corrupt("zlib could not be initialized")
        }
        defer { _ = end(stream, 0) }
        let (status, written) = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.storeBytes(of: source.baseAddress, toByteOffset: nextIn, as: UnsafeRawPointer?.self)
                stream.storeBytes(of: UInt32(source.count), toByteOffset: availIn, as: UInt32.self)
                stream.storeBytes(of: target.baseAddress, toByteOffset: nextOut, as: UnsafeMutableRawPointer?.self)
                stream.storeBytes(of: UInt32(target.count), toByteOffset: availOut, as: UInt32.self)
                let status = inflate(stream, zFinish)
                return (status, Int(stream.load(fromByteOffset: totalOut, as: UInt.self)))
            }
        }
        guard status == zStreamEnd, written == size else {
            throw .corrupt("gzip page does not inflate to \(size) bytes (zlib status \(status))")
        }
        return output
    }
}

/// libzstd's one-shot `ZSTD_decompress`, for zstd pages.
enum Zstd {
    private typealias Decompress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int) -> Int
    private typealias IsError = @convention(c) (Int) -> UInt32
    private typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>

    private static let library = SharedLibrary(["libzstd.so.1", "libzstd.so", "libzstd.1.dylib"])

    static func decompress(_ input: ArraySlice<UInt8>, uncompressedSize size: Int) throws(ParquetError) -> [UInt8] {
        guard let library else { throw .unsupported("zstd pages need libzstd (libzstd.so.1), which this system does not have") }
        let decompress = try library.function("ZSTD_decompress", as: Decompress.self)
        let isError = try library.function("ZSTD_isError", as: IsError.self)
        let errorName = try library.function("ZSTD_getErrorName", as: ErrorName.self)

        var output = [UInt8](repeating: 0, count: size)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                decompress(target.baseAddress, target.count, source.baseAddress, source.count)
            }
        }
        guard isError(written) == 0 else { throw .corrupt("zstd page: \(String(cString: errorName(written)))") }
        guard written == size else { throw .corrupt("zstd page decompresses to \(written) bytes, header says \(size)") }
        return output
    }
}
