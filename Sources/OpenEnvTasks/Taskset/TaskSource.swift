import Foundation

/// Where a taskset comes from.
public enum TaskSource: Sendable, Equatable {
    /// A Hub dataset, resolved from the local Hugging Face cache or downloaded.
    case hub(HubDatasetReference)
    /// A folder of data files, split by the Hub's file-name conventions (``DataFiles``).
    case directory(String)
    /// One data file holding one split.
    case file(String, split: String)

    /// Reads `text` as a path when it names an existing file or folder (or starts with
    /// `/`, `.` or `~`), otherwise as a Hub reference `owner/name[@revision][:split]`.
    /// A file becomes split `defaultSplit`.
    public init(_ text: String, defaultSplit: String = "train") throws(TasksetError) {
        let path = (text as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            self = isDirectory.boolValue ? .directory(path) : .file(path, split: defaultSplit)
        } else if text.hasPrefix("/") || text.hasPrefix(".") || text.hasPrefix("~") {
            throw .notFound("no file or folder at \(path)")
        } else {
            self = .hub(try HubDatasetReference(text))
        }
    }
}
