/// Which data files of a dataset belong to which split, following the Hub's conventions
/// for repositories without a loading script: `train.jsonl`, `data/test-00000-of-00001.parquet`,
/// `validation/part-0.csv`, `default/train/0000.parquet` (the Hub's Parquet conversion).
///
/// A file's path is cut into words at `/`, `-`, `_`, `.`, spaces and digits; it belongs to
/// the split whose keyword comes first among its words, from the file name backwards to
/// the top folder. Keywords: `train`, `training` → train; `validation`, `valid`, `val`,
/// `dev` → validation; `test`, `testing`, `eval`, `evaluation` → test. Any other split
/// name is its own keyword. When no file names a known split, every file is `train`.
/// Only files in a supported format count; hidden files and folders are ignored.
public enum DataFiles {
    static let keywords: [(split: String, words: Set<String>)] = [
        ("train", ["train", "training"]),
        ("validation", ["validation", "valid", "val", "dev"]),
        ("test", ["test", "testing", "eval", "evaluation"]),
    ]

    /// The data files (relative paths, sorted) of each split found, splits in the order
    /// train, validation, test, then others by name. With `only`, just that split
    /// (an unknown name matches files that contain it as a word).
    public static func splits(of paths: [String], only: String? = nil) -> [(split: String, files: [String])] {
        let candidates = paths.filter { path in
            TaskFileFormat(fileName: path) != nil && !path.split(separator: "/").contains { $0.hasPrefix(".") }
        }.sorted()
        var assigned: [String: [String]] = [:]
        for path in candidates {
            if let split = split(of: path, extra: only) { assigned[split, default: []].append(path) }
        }
        if assigned.isEmpty && !candidates.isEmpty && (only == nil || only == "train") {
            assigned["train"] = candidates
        }
        if let only { return assigned[only].map { [(only, $0)] } ?? [] }
        let order = keywords.map(\.split)
        return assigned.sorted { a, b in
            let ia = order.firstIndex(of: a.key) ?? order.count
            let ib = order.firstIndex(of: b.key) ?? order.count
            return ia != ib ? ia < ib : a.key < b.key
        }.map { ($0.key, $0.value) }
    }

    /// The split of one path, if any word names one.
    static func split(of path: String, extra: String?) -> String? {
        var components = path.split(separator: "/").map(String.init)
        if let last = components.popLast() {
            components.append(last.lastIndex(of: ".").map { String(last[..<$0]) } ?? last)
        }
        for component in components.reversed() {
            let words = component.split { "-_. ".contains($0) || $0.isNumber }.map(String.init)
            for word in words {
                if let extra, word == extra { return extra }
                if let known = keywords.first(where: { $0.words.contains(word) }) { return known.split }
            }
        }
        return nil
    }
}
