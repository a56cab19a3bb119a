import Foundation

/// The Hugging Face cache layout, as `huggingface_hub` writes it:
///
/// ```text
/// <cache>/datasets--owner--name/
///     refs/<revision>            the commit a branch or tag points to
///     snapshots/<commit>/<path>  the repository's files at that commit
/// ```
///
/// Snapshot files may be symlinks into `blobs/` (huggingface_hub) or plain files
/// (written by ``HubClient``); both read the same.
public struct HubCache: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public func datasetDirectory(_ reference: HubDatasetReference) -> String { root + "/" + reference.cacheFolderName }

    /// The commit `reference`'s revision resolves to in the cache, or `nil`.
    public func commit(for reference: HubDatasetReference) -> String? {
        if reference.revisionIsCommit { return reference.revision.lowercased() }
        let path = datasetDirectory(reference) + "/refs/" + reference.revision
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let commit = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }

    /// The snapshot folder of `reference`'s revision, when it is in the cache.
    public func snapshot(for reference: HubDatasetReference) -> String? {
        guard let commit = commit(for: reference) else { return nil }
        let path = datasetDirectory(reference) + "/snapshots/" + commit
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return path
    }

    /// Every file under `directory`, as paths relative to it (symlinks followed).
    static func files(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }
}
