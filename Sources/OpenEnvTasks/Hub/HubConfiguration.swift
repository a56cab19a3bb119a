import Foundation

/// Where the Hugging Face cache is and how to reach the Hub, read from the process
/// environment as `huggingface_hub` reads it.
public struct HubConfiguration: Sendable, Equatable {
    /// The hub cache root (the folder holding `datasets--owner--name`).
    public var cacheDirectory: String
    /// The Hub's base URL (`HF_ENDPOINT`, default `https://huggingface.co`).
    public var endpoint: String
    /// Sent as `Authorization: Bearer <token>`; never logged or put in errors.
    public var token: String?
    /// When `true` (`HF_HUB_OFFLINE=1`), only the cache is used.
    public var offline: Bool
    /// The deadline of each Hub request.
    public var timeout: Duration

    public init(cacheDirectory: String, endpoint: String = "https://huggingface.co", token: String? = nil, offline: Bool = false,
                timeout: Duration = .seconds(60)) {
        self.cacheDirectory = cacheDirectory
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
        self.timeout = timeout
    }

    /// The configuration `environment` describes:
    ///
    /// - cache: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`,
    ///   else `~/.cache/huggingface/hub`;
    /// - endpoint: `HF_ENDPOINT`, else `https://huggingface.co`;
    /// - token: `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the file `$HF_HOME/token`
    ///   (where `huggingface-cli login` stores it);
    /// - offline: `HF_HUB_OFFLINE` set to `1`, `true`, `yes` or `on`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> HubConfiguration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? NSHomeDirectory()
        let hfHome = value("HF_HOME") ?? ((value("XDG_CACHE_HOME") ?? home + "/.cache") + "/huggingface")
        let cache = value("HF_HUB_CACHE") ?? hfHome + "/hub"
        var token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")
        if token == nil, let data = FileManager.default.contents(atPath: hfHome + "/token") {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { token = text }
        }
        let offline = value("HF_HUB_OFFLINE").map { ["1", "true", "yes", "on"].contains($0.lowercased()) } ?? false
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        return HubConfiguration(cacheDirectory: cache, endpoint: endpoint, token: token, offline: offline)
    }
}
