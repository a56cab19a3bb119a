import Foundation
import OpenEnvCore
import OpenEnvTestSupport
import Testing

@testable import OpenEnvTasks

let commit = "0123456789abcdef0123456789abcdef01234567"

@Suite struct HubTests {
    @Test func referencesParse() throws {
        let full = try HubDatasetReference("owner/my-data.v2@v1.0:test")
        #expect(full.id == "owner/my-data.v2" && full.revision == "v1.0" && full.split == "test")
        #expect(full.cacheFolderName == "datasets--owner--my-data.v2")
        #expect(try HubDatasetReference("owner/name") == HubDatasetReference(id: "owner/name", revision: "main", split: nil))
        #expect(try HubDatasetReference("owner/name:train").split == "train")
        #expect(try HubDatasetReference("squad@\(commit)").revisionIsCommit)
        for bad in ["", "a/b/c", "owner/", "own er/x", "a/b@", "a/b:", "../x"] {
            #expect(throws: TasksetError.self, "\(bad)") { try HubDatasetReference(bad) }
        }
    }

    @Test func configurationFollowsHuggingFaceHubsVariables() throws {
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(HubConfiguration.fromEnvironment(["HOME": home]).cacheDirectory == home + "/.cache/huggingface/hub")
        #expect(HubConfiguration.fromEnvironment(["HOME": home, "XDG_CACHE_HOME": "/x"]).cacheDirectory == "/x/huggingface/hub")
        #expect(HubConfiguration.fromEnvironment(["HOME": home, "HF_HOME": "/hf"]).cacheDirectory == "/hf/hub")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": "/hf", "HF_HUB_CACHE": "/cache"]).cacheDirectory == "/cache")
        let configuration = HubConfiguration.fromEnvironment(["HOME": home, "HF_TOKEN": "hf_abc", "HF_ENDPOINT": "http://127.0.0.1:1/", "HF_HUB_OFFLINE": "1"])
        #expect(configuration.token == "hf_abc" && configuration.endpoint == "http://127.0.0.1:1" && configuration.offline)
        #expect(HubConfiguration.fromEnvironment(["HOME": home]).endpoint == "https://huggingface.co")
        try write("hf_from_file\n", to: home + "/hf/token")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": home + "/hf"]).token == "hf_from_file")
    }

    /// A cache laid out as huggingface_hub writes it: refs/main → commit, snapshot files
    /// as symlinks into blobs/.
    func makeCache() throws -> String {
        let cache = try temporaryDirectory()
        let repo = cache + "/datasets--owner--qa"
        try write(commit, to: repo + "/refs/main")
        let blob = repo + "/blobs/9f86d081884c7d659a2feaa0c55ad015"
        try FileManager.default.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try PyarrowFixtures.path("hub-train-00000-of-00001.parquet"), toPath: blob)
        try FileManager.default.createDirectory(atPath: repo + "/snapshots/\(commit)/data", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: repo + "/snapshots/\(commit)/data/train-00000-of-00001.parquet", withDestinationPath: blob)
        try write("{\"question\": \"5+5?\", \"answer\": \"10\"}\n", to: repo + "/snapshots/\(commit)/data/test.jsonl")
        try write("# qa", to: repo + "/snapshots/\(commit)/README.md")
        return cache
    }

    @Test func aCachedDatasetLoadsOfflineByBranchOrCommit() async throws {
        let cache = try makeCache()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let offline = HubConfiguration(cacheDirectory: cache, endpoint: "http://127.0.0.1:1", offline: true)
        let taskset = try await Taskset.load(.hub(try HubDatasetReference("owner/qa")), hub: offline)
        #expect(taskset.splitNames == ["train", "test"])
        #expect(try taskset.split("train").rows == [["question": "1+1?", "answer": "2"], ["question": "2+2?", "answer": "4"], ["question": "3+3?", "answer": "6"]])
        let test = try await Taskset.load(.hub(try HubDatasetReference("owner/qa@\(commit):test")), hub: offline)
        #expect(test.splitNames == ["test"] && test.splits[0].rows == [["question": "5+5?", "answer": "10"]])
        await #expect {
            try await Taskset.load(.hub(try HubDatasetReference("owner/qa@v2")), hub: offline)
        } throws: { error in
            "\(error)" == "owner/qa@v2 is not in the Hugging Face cache (\(cache)/datasets--owner--qa) and HF_HUB_OFFLINE is set"
        }
        await #expect(throws: TasksetError.self) { try await Taskset.load(.hub(try HubDatasetReference("owner/qa:validation")), hub: offline) }
    }

    @Test func anUncachedDatasetIsDownloadedThroughTheHubAPIIntoTheCache() async throws {
        let parquet = try Array(Data(contentsOf: URL(fileURLWithPath: try PyarrowFixtures.path("hub-train-00000-of-00001.parquet"))))
        let seen = RequestList()
        let hub: @Sendable (LoopbackRequest) async -> LoopbackResponse = { request in
            await seen.add(request)
            switch request.uri {
            case "/api/datasets/owner/qa/revision/refs%2Fconvert%2Fparquet":
                return .json(["id": "owner/qa", "sha": .string(commit), "siblings": [
                    ["rfilename": ".gitattributes"], ["rfilename": "README.md"], ["rfilename": "default/train/0000.parquet"],
                    ["rfilename": "default/test/0000.parquet"],
                ]])
            case "/datasets/owner/qa/resolve/\(commit)/default/train/0000.parquet":
                return LoopbackResponse(status: 302, headers: [("Location", "/cdn/blob-1")])
            case "/cdn/blob-1", "/datasets/owner/qa/resolve/\(commit)/default/test/0000.parquet":
                return LoopbackResponse(status: 200, body: parquet)
            default:
                return .json(["error": "Entry not found"], status: 404)
            }
        }
        try await withLoopbackHTTPServer(hub) { server in
            let cache = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: cache) }
            let configuration = HubConfiguration(cacheDirectory: cache, endpoint: server.baseURL, token: "hf_secret")
            let reference = try HubDatasetReference("owner/qa@refs/convert/parquet:train")
            let taskset = try await Taskset.load(.hub(reference), hub: configuration)
            #expect(taskset.splitNames == ["train"] && taskset.splits[0].count == 3)
            let requests = await seen.requests
            #expect(requests.map(\.uri) == [
                "/api/datasets/owner/qa/revision/refs%2Fconvert%2Fparquet",
                "/datasets/owner/qa/resolve/\(commit)/default/train/0000.parquet", "/cdn/blob-1",
            ])
            #expect(requests.allSatisfy { $0.method == "GET" && $0.header("Authorization") == "Bearer hf_secret" })
            let snapshot = cache + "/datasets--owner--qa/snapshots/\(commit)/default/train/0000.parquet"
            #expect(FileManager.default.contents(atPath: snapshot).map(Array.init) == parquet)
            #expect(FileManager.default.contents(atPath: cache + "/datasets--owner--qa/refs/refs/convert/parquet") == Data(commit.utf8))
            var offline = configuration
            offline.offline = true
            #expect(try await Taskset.load(.hub(reference), hub: offline) == taskset)
            // The snapshot lacks the test split: offline that is an error, online a download of it alone.
            let testSplit = try HubDatasetReference("owner/qa@refs/convert/parquet:test")
            await #expect(throws: TasksetError.self) { try await Taskset.load(.hub(testSplit), hub: offline) }
            #expect(try await Taskset.load(.hub(testSplit), hub: configuration).splits.map(\.count) == [3])
            #expect(await seen.requests.map(\.uri).suffix(2) == [
                "/api/datasets/owner/qa/revision/refs%2Fconvert%2Fparquet", "/datasets/owner/qa/resolve/\(commit)/default/test/0000.parquet",
            ])
        }
    }

    @Test func hubRefusalsAndAnUnreachableHubAreClearErrors() async throws {
        let refusing: @Sendable (LoopbackRequest) async -> LoopbackResponse = { request in
            request.header("Authorization") == nil ? .json(["error": "Invalid credentials"], status: 401) : .json(["error": "Repository not found"], status: 404)
        }
        try await withLoopbackHTTPServer(refusing) { server in
            let cache = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: cache) }
            await #expect {
                try await Taskset.load(.hub(try HubDatasetReference("owner/private")), hub: HubConfiguration(cacheDirectory: cache, endpoint: server.baseURL))
            } throws: { error in
                "\(error)".contains("the Hub refused access to dataset owner/private at revision main (HTTP 401): set HF_TOKEN")
            }
            await #expect {
                try await Taskset.load(.hub(try HubDatasetReference("owner/gone")), hub: HubConfiguration(cacheDirectory: cache, endpoint: server.baseURL, token: "t"))
            } throws: { error in
                "\(error)".contains("the Hub has no dataset owner/gone at revision main (HTTP 404")
            }
        }
        let closed = try await LoopbackHTTPServer.start { _ in .text("") }
        let endpoint = closed.baseURL
        await closed.stop()
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        await #expect {
            try await Taskset.load(.hub(try HubDatasetReference("owner/qa:test")), hub: HubConfiguration(cacheDirectory: cache, endpoint: endpoint))
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("owner/qa@main:test is not in the Hugging Face cache (\(cache)/datasets--owner--qa), and downloading it failed: could not reach the Hugging Face Hub at \(endpoint)")
        }
    }

    @Test func revisionsAndPathsAreEscapedInRequestURLs() {
        let client = HubClient(configuration: HubConfiguration(cacheDirectory: "/c", endpoint: "https://huggingface.co", token: "t"))
        let reference = try! HubDatasetReference("openai/gsm8k@refs/pr/3")
        #expect(client.revisionURL(reference) == "https://huggingface.co/api/datasets/openai/gsm8k/revision/refs%2Fpr%2F3")
        #expect(client.fileURL(reference, commit: commit, path: "main/test 1.parquet")
            == "https://huggingface.co/datasets/openai/gsm8k/resolve/\(commit)/main/test%201.parquet")
        #expect(client.headers(for: "https://huggingface.co/api/x")["Authorization"] == ["Bearer t"])
        #expect(client.headers(for: "https://cdn-lfs.hf.co/blob")["Authorization"].isEmpty)
    }
}

actor RequestList {
    private(set) var requests: [LoopbackRequest] = []
    func add(_ request: LoopbackRequest) { requests.append(request) }
}
