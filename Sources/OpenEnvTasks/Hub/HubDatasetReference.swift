import Foundation

/// A dataset on the Hugging Face Hub: `owner/name`, a revision and optionally a split,
/// written `owner/name@revision:split` (`revision` defaults to `main`; without a split,
/// every split is loaded).
///
/// ```swift
/// let ref = try HubDatasetReference("openai/gsm8k@main:test")
/// ```
public struct HubDatasetReference: Sendable, Equatable, CustomStringConvertible {
    /// `owner/name` (or a bare `name` for legacy canonical datasets).
    public var id: String
    /// A branch, tag or 40-hex commit.
    public var revision: String
    public var split: String?

    public init(id: String, revision: String = "main", split: String? = nil) throws(TasksetError) {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ Self.isName($0) }) else {
            throw .invalidReference("'\(id)' is not a Hub dataset id (owner/name)")
        }
        guard !revision.isEmpty, !revision.contains(":"), !revision.contains(".."), !revision.hasPrefix("/") else {
            throw .invalidReference("'\(revision)' is not a revision")
        }
        if let split, split.isEmpty || !Self.isName(Substring(split)) {
            throw .invalidReference("'\(split)' is not a split name")
        }
        self.id = id
        self.revision = revision
        self.split = split
    }

    /// Parses `owner/name[@revision][:split]`.
    public init(_ text: String) throws(TasksetError) {
        var rest = Substring(text)
        var split: String?
        if let colon = rest.lastIndex(of: ":") {
            split = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        var revision = "main"
        if let at = rest.firstIndex(of: "@") {
            revision = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        try self.init(id: String(rest), revision: revision, split: split)
    }

    public var description: String { "\(id)@\(revision)" + (split.map { ":\($0)" } ?? "") }

    /// The cache folder name, as huggingface_hub spells it: `datasets--owner--name`.
    public var cacheFolderName: String { "datasets--" + id.replacingOccurrences(of: "/", with: "--") }

    /// `true` when the revision is a full commit hash.
    public var revisionIsCommit: Bool { revision.count == 40 && revision.allSatisfy(\.isHexDigit) }

    private static func isName(_ s: Substring) -> Bool {
        !s.isEmpty && s != "." && s != ".." && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
