import Foundation
import OpenEnvCore
import OpenEnvParquet

/// The dataset file formats a taskset reads, by file extension.
public enum TaskFileFormat: String, Sendable, CaseIterable {
    /// One JSON object per line (`.jsonl`, `.ndjson`); blank lines are skipped.
    case jsonLines
    /// A JSON array of objects, or an object with one array of objects (`.json`).
    case json
    /// Comma-separated values with a header row (`.csv`).
    case csv
    /// Apache Parquet (`.parquet`), read natively by ``ParquetFile``.
    case parquet

    /// The format of a file name, or `nil` for an extension no format claims.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            self = .jsonLines
        } else if lower.hasSuffix(".json") {
            self = .json
        } else if lower.hasSuffix(".csv") {
            self = .csv
        } else if lower.hasSuffix(".parquet") {
            self = .parquet
        } else {
            return nil
        }
    }

    /// The rows of `bytes` in this format; errors name `source` (a path) and, where it
    /// helps, the line.
    public func rows(_ bytes: [UInt8], source: String) throws(TasksetError) -> [JSONObject] {
        switch self {
        case .jsonLines:
            var rows: [JSONObject] = []
            var lineNumber = 0
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
                let value: JSONValue
                do {
                    value = try JSONParser.parse(line)
                } catch {
                    throw .malformed(source, "line \(lineNumber): \(error)")
                }
                guard case .object(let row) = value else { throw .malformed(source, "line \(lineNumber) is not a JSON object") }
                rows.append(row)
            }
            return rows
        case .json:
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                throw .malformed(source, "\(error)")
            }
            var items: [JSONValue]
            switch value {
            case .array(let array): items = array
            case .object(let object):
                let arrays = object.filter { $0.value.arrayValue != nil }
                guard arrays.count == 1, let only = arrays.first?.value.arrayValue else {
                    throw .malformed(source, "a JSON object must hold exactly one array of rows (found \(arrays.count))")
                }
                items = only
            default: throw .malformed(source, "neither an array of objects nor an object holding one")
            }
            return try items.enumerated().map { (index, item) throws(TasksetError) in
                guard case .object(let row) = item else { throw .malformed(source, "row \(index) is not a JSON object") }
                return row
            }
        case .csv:
            return try CSVReader.rows(bytes, source: source)
        case .parquet:
            do {
                return try ParquetFile(bytes: bytes).rows()
            } catch {
                throw .malformed(source, "\(error)")
            }
        }
    }

    /// The rows of the file at `path`.
    public static func rows(ofFile path: String) throws(TasksetError) -> [JSONObject] {
        guard let format = TaskFileFormat(fileName: path) else { throw .unsupportedFile(path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .notFound("no readable file at \(path)") }
        return try format.rows([UInt8](data), source: path)
    }
}
