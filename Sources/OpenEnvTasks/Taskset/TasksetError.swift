/// Why a taskset could not be loaded or a task not produced. Messages name the path, the
/// dataset or the row involved.
public enum TasksetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file, directory, dataset or split that does not exist where it was looked for.
    case notFound(String)
    /// A file whose extension names no supported format.
    case unsupportedFile(String)
    /// A file whose contents do not parse: path and reason.
    case malformed(String, String)
    /// A dataset id that is not `owner/name[@revision][:split]`.
    case invalidReference(String)
    /// The Hub could not be used: what was tried and why it failed.
    case hub(String)
    /// A row that does not map onto the task type: split, index and reason.
    case mapping(split: String, index: Int, String)
    /// A split the taskset does not have, with the ones it has.
    case unknownSplit(String, available: [String])

    public var description: String {
        switch self {
        case .notFound(let what): what
        case .unsupportedFile(let path): "\(path): not a dataset file (use .jsonl, .json, .csv or .parquet)"
        case .malformed(let path, let why): "\(path): \(why)"
        case .invalidReference(let why): why
        case .hub(let why): why
        case .mapping(let split, let index, let why): "task \(index) of split '\(split)': \(why)"
        case .unknownSplit(let split, let available):
            "unknown split '\(split)' (available: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        }
    }
}
