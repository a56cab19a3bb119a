import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP

/// Downloads dataset files from the Hugging Face Hub's HTTP API into the cache layout,
/// so later loads (and `huggingface_hub`) find them offline.
///
/// Requests, all with `Authorization: Bearer <token>` when a token is configured:
///
/// 1. `GET <endpoint>/api/datasets/<owner>/<name>/revision/<revision>`: the commit (`sha`)
///    and the file list (`siblings[].rfilename`);
/// 2. `GET <endpoint>/datasets/<owner>/<name>/resolve/<commit>/<path>` for each data file
///    of the requested split(s), following redirects (the token is only sent to the Hub's
///    own host).
///
/// Files land in `snapshots/<commit>/<path>` (written to a temporary name, then renamed)
/// and `refs/<revision>` records the commit.
struct HubClient {
    let configuration: HubConfiguration

    /// The most redirects followed for one file.
    static let maxRedirects = 5

    /// The dataset's commit and the files of `split` (or of every split).
    func listFiles(_ reference: HubDatasetReference) async throws(TasksetError) -> (commit: String, files: [String]) {
        let url = revisionURL(reference)
        let body = try await get(url, what: "dataset \(reference.id) at revision \(reference.revision)", limit: 64 << 20)
        guard case .object(let info)? = try? JSONParser.parse(body), let sha = info["sha"]?.stringValue, !sha.isEmpty else {
            throw .hub("the Hub's answer for \(reference.id)@\(reference.revision) (\(url)) has no commit sha")
        }
        let files = (info["siblings"]?.arrayValue ?? []).compactMap { $0["rfilename"]?.stringValue }
        return (sha, files)
    }

    /// Downloads `files` of the commit into the cache and records the revision's commit;
    /// returns the snapshot folder.
    func download(_ reference: HubDatasetReference, commit: String, files: [String], into cache: HubCache) async throws(TasksetError) -> String {
        let directory = cache.datasetDirectory(reference)
        let snapshot = directory + "/snapshots/" + commit
        for file in files {
            let target = snapshot + "/" + file
            if FileManager.default.fileExists(atPath: target) { continue }
            let bytes = try await get(fileURL(reference, commit: commit, path: file), what: "file \(file) of dataset \(reference.id)", limit: 4 << 30)
            do {
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let temporary = target + ".incomplete-\(UUID().uuidString)"
                try Data(bytes).write(to: URL(fileURLWithPath: temporary))
                try FileManager.default.moveItem(atPath: temporary, toPath: target)
            } catch {
                throw .hub("could not write \(target): \(error)")
            }
        }
        if !reference.revisionIsCommit {
            do {
                try FileManager.default.createDirectory(atPath: directory + "/refs", withIntermediateDirectories: true)
                let refPath = directory + "/refs/" + reference.revision
                try FileManager.default.createDirectory(atPath: (refPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(commit.utf8).write(to: URL(fileURLWithPath: refPath))
            } catch {
                throw .hub("could not record \(reference.revision) → \(commit) in \(directory)/refs: \(error)")
            }
        }
        return snapshot
    }

    func revisionURL(_ reference: HubDatasetReference) -> String {
        "\(configuration.endpoint)/api/datasets/\(reference.id)/revision/\(Self.escape(reference.revision))"
    }

    func fileURL(_ reference: HubDatasetReference, commit: String, path: String) -> String {
        "\(configuration.endpoint)/datasets/\(reference.id)/resolve/\(commit)/" + path.split(separator: "/").map { Self.escape(String($0)) }.joined(separator: "/")
    }

    /// Percent-encodes everything but unreserved characters (so `refs/pr/1` → `refs%2Fpr%2F1`).
    static func escape(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            let c = Character(UnicodeScalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The headers of a request to `url`: the token only for the Hub's own host.
    func headers(for url: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: "swift-openenv (OpenEnvTasks)")
        if let token = configuration.token, !token.isEmpty, Self.host(of: url) == Self.host(of: configuration.endpoint) {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return headers
    }

    private static func host(of url: String) -> String? {
        guard let start = url.range(of: "://")?.upperBound else { return nil }
        return String(url[start...].prefix { $0 != "/" }).lowercased()
    }

    private func get(_ url: String, what: String, limit: Int) async throws(TasksetError) -> [UInt8] {
        var current = url
        for _ in 0...Self.maxRedirects {
            var request = HTTPClientRequest(url: current)
            request.headers = headers(for: current)
            let response: HTTPClientResponse
            let body: ByteBuffer
            do {
                response = try await HTTPClient.openEnv.execute(request, timeout: .seconds(Int64(configuration.timeout.components.seconds)))
                body = try await response.body.collect(upTo: limit)
            } catch {
                throw .hub("could not reach the Hugging Face Hub at \(configuration.endpoint) to download \(what) (\(error))")
            }
            let status = Int(response.status.code)
            if (300..<400).contains(status), let location = response.headers.first(name: "Location") {
                current = location.hasPrefix("/") ? Self.origin(of: current) + location : location
                continue
            }
            switch status {
            case 200..<300: return Array(buffer: body)
            case 401, 403:
                throw .hub("the Hub refused access to \(what) (HTTP \(status)): set HF_TOKEN to a token that can read it")
            case 404:
                throw .hub("the Hub has no \(what) (HTTP 404 for \(current))")
            default:
                throw .hub("the Hub answered HTTP \(status) for \(what) (\(current)): \(String(decoding: Array(buffer: body).prefix(300), as: UTF8.self))")
            }
        }
        throw .hub("too many redirects downloading \(what) from \(url)")
    }

    private static func origin(of url: String) -> String {
        guard let start = url.range(of: "://")?.upperBound else { return url }
        return String(url[..<start]) + String(url[start...].prefix { $0 != "/" })
    }
}

