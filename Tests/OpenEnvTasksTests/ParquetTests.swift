import Foundation
import OpenEnvCore
import Testing

@testable import OpenEnvParquet

@Suite struct ParquetTests {
    static let primitiveFiles = ["none", "snappy", "gzip", "zstd"].flatMap { codec in
        ["v1", "v2"].flatMap { version in ["dict", "plain"].map { "primitives-\(codec)-\(version)-\($0)" } }
    }

    /// Reads `<name>.parquet` natively and compares with the rows pyarrow wrote.
    func check(_ name: String) throws {
        let file = try ParquetFile(contentsOf: try PyarrowFixtures.path("\(name).parquet"))
        let expected = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: try PyarrowFixtures.path("\(name).expected.json")))))
        let rows = try file.rows()
        #expect(rows.count == file.rowCount)
        guard case .array(let wanted) = expected, wanted.count == rows.count else {
            Issue.record("\(name): \(rows.count) rows, pyarrow wrote \(expected.arrayValue?.count ?? -1)")
            return
        }
        for (index, (row, want)) in zip(rows, wanted).enumerated() where JSONValue.object(row) != want {
            Issue.record("\(name) row \(index):\n  read  \(JSONValue.object(row))\n  wrote \(want)")
            return
        }
    }

    @Test(arguments: primitiveFiles)
    func primitiveColumnsInEveryCodecPageVersionAndEncoding(_ name: String) throws {
        try check(name)
        let file = try ParquetFile(contentsOf: try PyarrowFixtures.path("\(name).parquet"))
        #expect(file.columnPaths == ["i32", "i64", "f32", "f64", "flag", "text", "bin"])
        #expect(file.rowCount == 300)
    }

    @Test(arguments: ["nested-v1", "nested-v2"])
    func listsStructsListsOfStructsMapsAndNestedLists(_ name: String) throws {
        try check(name)
        let file = try ParquetFile(contentsOf: try PyarrowFixtures.path("\(name).parquet"))
        #expect(file.columnPaths.contains("messages.list.element.role"))
    }

    @Test func logicalTypes() throws { try check("logical") }

    @Test(arguments: ["encodings", "encodings-v2"])
    func deltaAndByteStreamSplitEncodings(_ name: String) throws { try check(name) }

    @Test func unsupportedCodecsAreClearErrors() throws {
        let file = try ParquetFile(contentsOf: try PyarrowFixtures.path("lz4.parquet"))
        #expect(throws: ParquetError.unsupported("column 'x': compression codec LZ4_RAW")) { try file.rows() }
    }

    @Test func notParquetAndTruncatedFilesAreClearErrors() throws {
        #expect(throws: ParquetError.notParquet("no PAR1 header")) { try ParquetFile(bytes: Array("id,name\n1,a\n".utf8)) }
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: try PyarrowFixtures.path("nested-v1.parquet"))))
        #expect(throws: ParquetError.notParquet("no PAR1 trailer")) { try ParquetFile(bytes: Array(bytes.dropLast(3))) }
        var damaged = bytes
        for i in 4..<min(400, damaged.count - 8) { damaged[i] = 0xAB }
        #expect(throws: ParquetError.self) { try ParquetFile(bytes: damaged).rows() }
        var badFooter = bytes
        badFooter[bytes.count - 8] = 0xFF
        badFooter[bytes.count - 7] = 0xFF
        #expect(throws: ParquetError.self) { try ParquetFile(bytes: badFooter) }
    }

    @Test func rleHybridAndBitPackingDecode() throws {
        // RLE run of 5 x 3 (width 2), then one bit-packed group of 8 values 0...7 (width 3).
        var cursor = ByteCursor([0x0A, 0x03, 0x03, 0x88, 0xC6, 0xFA][...])
        #expect(try RLEHybrid.decode(&cursor, bitWidth: 2, count: 5) == [3, 3, 3, 3, 3])
        var packed = ByteCursor([0x03, 0x88, 0xC6, 0xFA][...])
        #expect(try RLEHybrid.decode(&packed, bitWidth: 3, count: 8) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(RLEHybrid.bitWidth(0) == 0 && RLEHybrid.bitWidth(1) == 1 && RLEHybrid.bitWidth(3) == 2 && RLEHybrid.bitWidth(4) == 3)
    }

    @Test func timestampsAndDatesFormat() {
        #expect(LogicalValue.date(days: 0) == "1970-01-01")
        #expect(LogicalValue.date(days: -1) == "1969-12-31")
        #expect(LogicalValue.date(days: 19782) == "2024-02-29")
        #expect(LogicalValue.timestamp(-1, unitsPerSecond: 1000, utc: true) == "1969-12-31T23:59:59.999Z")
        #expect(LogicalValue.timestamp(1_700_000_000_000_000_123, unitsPerSecond: 1_000_000_000, utc: false) == "2023-11-14T22:13:20.000000123")
        #expect(Base64.encode([0, 1, 2, 250][...]) == "AAEC+g==" && Base64.encode(Array("ab".utf8)[...]) == "YWI=")
    }
}

/// Snappy blocks written by hand from google/snappy's format_description.txt.
@Suite struct SnappyTests {
    @Test func literalsAndCopiesDecode() throws {
        // 6 bytes: literal "abc" (tag 0b000010_00), copy of 3 from offset 3 (2-byte offset form).
        let block: [UInt8] = [0x06, 0x08, 0x61, 0x62, 0x63, 0x0A, 0x03, 0x00]
        #expect(try Snappy.decompress(block[...], uncompressedSize: 6) == Array("abcabc".utf8))
        // A run: literal "a", then a copy of 5 from offset 1 (1-byte offset form) overlaps itself.
        let run: [UInt8] = [0x06, 0x00, 0x61, 0x05, 0x01]
        #expect(try Snappy.decompress(run[...], uncompressedSize: 6) == Array("aaaaaa".utf8))
        // A 61-byte literal takes the one-extra-length-byte form (tag 60 << 2, then 60).
        let long = [UInt8](repeating: 0x7A, count: 61)
        #expect(try Snappy.decompress(([61, 0xF0, 60] + long)[...], uncompressedSize: 61) == long)
    }

    @Test func malformedBlocksAreErrorsNotCrashes() {
        #expect(throws: ParquetError.corrupt("snappy copy from offset 1 before the start")) {
            try Snappy.decompress([0x04, 0x01, 0x01][...], uncompressedSize: 4)
        }
        #expect(throws: ParquetError.corrupt("snappy literal of 3 bytes overruns the page")) {
            try Snappy.decompress([0x03, 0x08, 0x61][...], uncompressedSize: 3)
        }
        #expect(throws: ParquetError.corrupt("snappy page declares 6 bytes, header says 5")) {
            try Snappy.decompress([0x06, 0x08, 0x61, 0x62, 0x63][...], uncompressedSize: 5)
        }
        #expect(throws: ParquetError.corrupt("snappy page decompresses to 3 bytes, header says 6")) {
            try Snappy.decompress([0x06, 0x08, 0x61, 0x62, 0x63][...], uncompressedSize: 6)
        }
    }
}
