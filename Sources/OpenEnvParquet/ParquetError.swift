/// Why a Parquet file could not be read. Messages name the column when one is involved.
public enum ParquetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a Parquet file (no `PAR1` magic), or an encrypted one (`PARE`).
    case notParquet(String)
    /// The bytes contradict the format (truncated, bad lengths, failed decompression).
    case corrupt(String)
    /// A valid file that uses a feature this reader does not implement.
    case unsupported(String)

    public var description: String {
        switch self {
        case .notParquet(let why): "not a Parquet file: \(why)"
        case .corrupt(let why): "corrupt Parquet file: \(why)"
        case .unsupported(let what): "unsupported Parquet feature: \(what)"
        }
    }

    /// The same error with `context` (a column path) in front of its message.
    func within(_ context: String) -> ParquetError {
        switch self {
        case .notParquet(let why): .notParquet("\(context): \(why)")
        case .corrupt(let why): .corrupt("\(context): \(why)")
        case .unsupported(let what): .unsupported("\(context): \(what)")
        }
    }
}
