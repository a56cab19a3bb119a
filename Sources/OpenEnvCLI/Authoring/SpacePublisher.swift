import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP
import OpenEnvValidation

/// `openenv push`: a package as a Hugging Face Docker Space — the build context of
/// ``ContainerBuild`` (Dockerfile at the root) with a README whose front matter says
/// `sdk: docker`, the manifest's port as `app_port` and the `openenv` tag — uploaded
/// through the Hub's HTTP API, with the manifest's `variables` as public Space variables.
public struct SpacePublisher: Sendable {
    public struct PushError: Error, CustomStringConvertible { public var description: String }

    /// `OWNER/NAME`.
    public var repoID: String
    /// The Hub, `https://huggingface.co` unless `HF_ENDPOINT` says otherwise.
    public var endpoint: String
    public var timeout: Duration = .seconds(30)


    public init(repoID: String, endpoint: String? = nil) throws(PushError) {
        let parts = repoID.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$"#, options: .regularExpression) != nil }) else {
            throw PushError(description: "invalid --repo-id '\(repoID)': expected OWNER/NAME (letters, digits, '.', '_', '-')")
        }
        self.repoID = repoID
        var base = endpoint ?? ProcessInfo.processInfo.environment["HF_ENDPOINT"] ?? "https://huggingface.co"
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base
    }

    /// The files of the Space repository, written into `directory` (`--dry-run`), and the
    /// Space variables. The package's own build context is left in `.openenv-build`.
    public static func prepareLayout(package directory: String, into destination: String) throws -> (files: [String], variables: [(key: String, value: String)]) {
        let manifest = try Manifest.load(directory: directory)
        let context = try ContainerBuild.prepareContext(package: directory)
        let fm = FileManager.default
        if fm.fileExists(atPath: destination) {
            guard try fm.contentsOfDirectory(atPath: destination).isEmpty else {
                throw PushError(description: "\(destination) is not empty; --dry-run writes the Space into a new or empty directory")
            }
        }
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        try ContainerBuild.copyTree(from: URL(fileURLWithPath: context.path), to: URL(fileURLWithPath: destination))
        let readmePath = (destination as NSString).appendingPathComponent("README.md")
        let readme = (try? String(contentsOfFile: readmePath, encoding: .utf8)) ?? ""
        try Data(spaceReadme(readme, manifest: manifest).utf8).write(to: URL(fileURLWithPath: readmePath))
        var files: [String] = []
        let enumerator = fm.enumerator(atPath: destination)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: (destination as NSString).appendingPathComponent(path), isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
        }
        return (files.sorted(), manifest.variables)
    }

    /// `readme` with Space front matter: kept keys, plus `sdk: docker`, `app_port` and the
    /// `openenv` tag forced; a title and colours added when missing.
    static func spaceReadme(_ readme: String, manifest: Manifest) -> String {
        var lines = readme.components(separatedBy: "\n")
        var front: [String] = []
        if lines.first?.trimmingCharacters(in: .whitespaces) == "---", let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) {
            front = Array(lines[1..<end])
            lines.removeSubrange(0...end)
        }
        // Drop the keys set here (and a tags list) and write them anew.
        var kept: [String] = []
        var tags: [String] = []
        var inTags = false
        for line in front {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if inTags, trimmed.hasPrefix("- ") { tags.append(String(trimmed.dropFirst(2))); continue }
            inTags = false
            if trimmed.hasPrefix("tags:") {
                let inline = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
                if inline.hasPrefix("[") {
                    tags += inline.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                } else {
                    inTags = true
                }
                continue
            }
            if trimmed.hasPrefix("sdk:") || trimmed.hasPrefix("app_port:") { continue }
            kept.append(line)
        }
        if !kept.contains(where: { $0.hasPrefix("title:") }) { kept.insert("title: \(manifest.name)", at: 0) }
        if !kept.contains(where: { $0.hasPrefix("colorFrom:") }) { kept.append("colorFrom: blue") }
        if !kept.contains(where: { $0.hasPrefix("colorTo:") }) { kept.append("colorTo: green") }
        if !tags.contains("openenv") { tags.append("openenv") }
        let header = ["---"] + kept + ["sdk: docker", "app_port: \(manifest.port)", "tags:"] + tags.map { "  - \($0)" } + ["---"]
        return (header + lines).joined(separator: "\n")
    }

    /// The Hub token: `HF_TOKEN`, else the token file (`$HF_TOKEN_PATH`, `$HF_HOME/token`,
    /// `~/.cache/huggingface/token`).
    public static func token(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PushError) -> String {
        if let token = environment["HF_TOKEN"] ?? environment["HUGGING_FACE_HUB_TOKEN"], !token.isEmpty { return token }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = environment["HF_TOKEN_PATH"] ?? ((environment["HF_HOME"] ?? home + "/.cache/huggingface") + "/token")
        if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw PushError(description: "no Hugging Face token: set HF_TOKEN, or log in with `huggingface-cli login` (which writes \(path))")
    }

    /// Creates the Space (if it does not exist), sets its variables and commits the files
    /// of `layout` in one commit.
    public func upload(layout: String, files: [String], variables: [(key: String, value: String)], token: String) async throws(PushError) {
        let parts = repoID.split(separator: "/")
        let created = try await send(.POST, "/api/repos/create", token: token,
            json: ["type": "space", "name": .string(String(parts[1])), "organization": .string(String(parts[0])), "sdk": "docker", "private": false])
        guard (200..<300).contains(created.status) || created.status == 409 else {
            throw PushError(description: "the Hub refused to create Space \(repoID): HTTP \(created.status) \(created.body.prefix(300))")
        }
        for variable in variables {
            let answer = try await send(.POST, "/api/spaces/\(repoID)/variables", token: token, json: ["key": .string(variable.key), "value": .string(variable.value)])
            guard (200..<300).contains(answer.status) else {
                throw PushError(description: "the Hub refused Space variable \(variable.key): HTTP \(answer.status) \(answer.body.prefix(300))")
            }
        }
        var lines = [JSONWriter().string(["key": "header", "value": ["summary": "Upload environment with openenv push", "description": ""]])]
        for file in files {
            guard let data = FileManager.default.contents(atPath: (layout as NSString).appendingPathComponent(file)) else { continue }
            guard data.count <= 10 * 1024 * 1024 else { throw PushError(description: "\(file) is larger than 10 MiB, too large for a direct upload (use git-lfs)") }
            lines.append(JSONWriter().string(["key": "file", "value": ["content": .string(data.base64EncodedString()), "path": .string(file), "encoding": "base64"]]))
        }
        let committed = try await send(.POST, "/api/spaces/\(repoID)/commit/main", token: token, body: lines.joined(separator: "\n"), contentType: "application/x-ndjson")
        guard (200..<300).contains(committed.status) else {
            throw PushError(description: "the Hub refused the commit to \(repoID): HTTP \(committed.status) \(committed.body.prefix(300))")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, token: String, json: JSONValue) async throws(PushError) -> (status: Int, body: String) {
        try await send(method, path, token: token, body: JSONWriter().string(json), contentType: "application/json")
    }

    /// Redirects are not followed (`HTTPClient.openEnv`): the token goes to the configured Hub
    /// only, and a 3xx answer is reported as a refusal with its status.
    private func send(_ method: HTTPMethod, _ path: String, token: String, body: String, contentType: String) async throws(PushError) -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await HTTPClient.openEnv.execute(request, timeout: TimeAmount(timeout))
            let text = String(buffer: try await response.body.collect(upTo: 1024 * 1024))
            return (Int(response.status.code), text)
        } catch {
            throw PushError(description: "cannot reach the Hugging Face Hub at \(endpoint) (\(error)); check the network, or point HF_ENDPOINT at a reachable Hub")
        }
    }
}
