import Foundation
import OpenEnvCore

/// Tasks for an environment: named splits of dataset rows, loaded once and shared by
/// every instance (a value; copies share storage).
///
/// ```swift
/// let tasks = try await Taskset.load(.hub(try HubDatasetReference("openai/gsm8k@main:test")))
/// let local = try await Taskset.load(.directory("data/qa"))
/// let row = try local.split("test").row(at: -1)
/// ```
public struct Taskset: Sendable, Equatable {
    public let splits: [TaskSplit]

    public init(splits: [TaskSplit]) { self.splits = splits }

    public var splitNames: [String] { splits.map(\.name) }

    /// The split named `name`, or ``TasksetError/unknownSplit(_:available:)``.
    public func split(_ name: String) throws(TasksetError) -> TaskSplit {
        guard let split = splits.first(where: { $0.name == name }) else { throw .unknownSplit(name, available: splitNames) }
        return split
    }

    /// Loads `source`.
    ///
    /// A Hub dataset is read from the local cache (``HubConfiguration/cacheDirectory``)
    /// when its revision is there with the requested split; otherwise, unless offline,
    /// the split's files (every split's, without one) are downloaded into the cache first. Errors say what was looked for where, and why the download
    /// (if tried) failed.
    public static func load(_ source: TaskSource, hub: HubConfiguration = .fromEnvironment()) async throws(TasksetError) -> Taskset {
        switch source {
        case .file(let path, let split):
            return Taskset(splits: [TaskSplit(name: split, rows: try TaskFileFormat.rows(ofFile: path))])
        case .directory(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .notFound("no folder at \(path)")
            }
            return try fromDirectory(path, split: nil, describing: path)
        case .hub(let reference):
            let cache = HubCache(root: hub.cacheDirectory)
            // A snapshot may hold only some splits (a download of one split): load from it
            // when it has what was asked for, or when offline (to say what is missing).
            if let snapshot = cache.snapshot(for: reference),
               hub.offline || !DataFiles.splits(of: HubCache.files(under: snapshot), only: reference.split).isEmpty {
                return try fromDirectory(snapshot, split: reference.split, describing: "\(reference) in \(snapshot)")
            }
            let notCached = "\(reference.id)@\(reference.revision)\(reference.split.map { ":\($0)" } ?? "") is not in the Hugging Face cache (\(cache.datasetDirectory(reference)))"
            guard !hub.offline else { throw .notFound("\(notCached) and HF_HUB_OFFLINE is set") }
            let client = HubClient(configuration: hub)
            let listing: (commit: String, files: [String])
            do {
                listing = try await client.listFiles(reference)
            } catch {
                throw .hub("\(notCached), and downloading it failed: \(error)")
            }
            let wanted = DataFiles.splits(of: listing.files, only: reference.split).flatMap(\.files)
            guard !wanted.isEmpty else {
                throw .notFound("\(reference) has no data files\(reference.split.map { " for split '\($0)'" } ?? "") (files: \(listing.files.prefix(20).joined(separator: ", ")))")
            }
            let snapshot = try await client.download(reference, commit: listing.commit, files: wanted, into: cache)
            return try fromDirectory(snapshot, split: reference.split, describing: "\(reference) in \(snapshot)")
        }
    }

    /// The splits of the data files under `directory` (just `split` when given).
    static func fromDirectory(_ directory: String, split: String?, describing: String) throws(TasksetError) -> Taskset {
        let found = DataFiles.splits(of: HubCache.files(under: directory), only: split)
        guard !found.isEmpty else {
            throw .notFound("no data files\(split.map { " for split '\($0)'" } ?? "") in \(describing) (looked for .jsonl, .json, .csv, .parquet)")
        }
        var splits: [TaskSplit] = []
        for (name, files) in found {
            var rows: [JSONObject] = []
            for file in files { rows += try TaskFileFormat.rows(ofFile: directory + "/" + file) }
            splits.append(TaskSplit(name: name, rows: rows))
        }
        return Taskset(splits: splits)
    }
}
