import Foundation

/// How the browser environment runs Chromium and where it finds its tasks.
///
/// `openenv serve browser` reads it from `OPENENV_BROWSER_*` variables
/// (``fromEnvironment(_:)``) and `--allow-origin`.
public struct BrowserConfiguration: Sendable, Equatable {
    /// The Chromium executable (not Debian's `/usr/bin/chromium` shell wrapper).
    public var chromiumPath = "/usr/lib/chromium/chromium"
    /// The MiniWoB++ `html` folder (holding `miniwob/`, `core/`, `common/`); `nil` looks in
    /// the `miniwob` package of the Python interpreters found (``MiniWoBLocator``).
    public var miniwobDirectory: String?
    /// Host uids Chromium may run as: `firstUID ..< firstUID + uidCount`, one per server,
    /// leased host-wide with a lock file in `stateDirectory/locks`.
    public var firstUID = 209_000
    public var uidCount = 64
    /// Root-owned directory for uid locks and Chromium's profile directories.
    public var stateDirectory = "/var/lib/openenv-browser"
    /// Origins (`https://example.com`) pages may load from besides the task server.
    public var allowedOrigins: [String] = []
    /// Wall-clock limit of one action (and of one reset), after which the session's page is
    /// considered hung, closed, and the call fails.
    public var actionTimeout: Duration = .seconds(20)
    /// V8 heap limit of each renderer (`--max-old-space-size`), in MiB: a page that grows
    /// beyond it crashes its own renderer, which ends only its session's episode.
    public var rendererHeapMB = 512
    /// Viewport of every page (BrowserGym's default).
    public var viewportWidth = 1280
    public var viewportHeight = 720
    /// Steps after which an episode is truncated (`done`), `nil` for none.
    public var maxSteps: Int? = nil
    /// Whether observations carry `screenshot` (the viewport as `[height][width][3]`
    /// integers, as the reference sends it: about 10 MB of JSON at 1280x720) unless a reset
    /// says otherwise (`screenshot=True`/`False`).
    public var screenshots = false

    public init() {}

    /// The defaults overridden by `OPENENV_BROWSER_CHROMIUM`, `_MINIWOB_DIR`, `_FIRST_UID`,
    /// `_STATE_DIR`, `_ALLOW_ORIGINS` (comma-separated), `_ACTION_TIMEOUT` (seconds),
    /// `_HEAP_MB`, `_MAX_STEPS`, `_SCREENSHOTS` (`1`/`true` or `0`/`false`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BrowserConfiguration {
        var c = BrowserConfiguration()
        func value(_ key: String) -> String? { environment["OPENENV_BROWSER_" + key].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let text = value(key) else { return nil }
            guard let n = Double(text), range.contains(n) else {
                throw BrowserError.invalidSetting("OPENENV_BROWSER_\(key)=\(text): expected a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        if let path = value("CHROMIUM") { c.chromiumPath = path }
        if let path = value("MINIWOB_DIR") { c.miniwobDirectory = path }
        if let path = value("STATE_DIR") { c.stateDirectory = path }
        if let n = try number("FIRST_UID", 1000...4_000_000_000) { c.firstUID = Int(n) }
        if let n = try number("ACTION_TIMEOUT", 1...3600) { c.actionTimeout = .milliseconds(Int64(n * 1000)) }
        if let n = try number("HEAP_MB", 64...65536) { c.rendererHeapMB = Int(n) }
        if let n = try number("MAX_STEPS", 1...1_000_000) { c.maxSteps = Int(n) }
        if let text = value("SCREENSHOTS") {
            switch text.lowercased() {
            case "1", "true", "yes", "on": c.screenshots = true
            case "0", "false", "no", "off": c.screenshots = false
            default: throw BrowserError.invalidSetting("OPENENV_BROWSER_SCREENSHOTS=\(text): expected 1 or 0")
            }
        }
        if let list = value("ALLOW_ORIGINS") {
            c.allowedOrigins = try list.split(separator: ",").map { try normalizedOrigin(String($0)) }
        }
        return c
    }

    /// `scheme://host[:port]` in lower case, or an error for anything else.
    public static func normalizedOrigin(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased(), !host.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil
        else {
            throw BrowserError.invalidSetting("\(text) is not an origin (scheme://host[:port], http or https)")
        }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }
}

/// What can go wrong with the browser itself (as opposed to an agent's action).
public enum BrowserError: Error, Sendable, Equatable, CustomStringConvertible {
    case unavailable(String)
    case invalidSetting(String)
    case startFailed(String)
    /// The session's page (its renderer) crashed or hung; the session needs a reset.
    case pageLost(String)
    /// The whole browser went away; it is restarted for the next reset.
    case browserLost(String)
    case unknownTask(String)
    case notReset

    public var description: String {
        switch self {
        case .unavailable(let why): "browser unavailable: \(why)"
        case .invalidSetting(let why): "invalid browser setting: \(why)"
        case .startFailed(let why): "browser failed to start: \(why)"
        case .pageLost(let why): "the page of this session was lost (\(why)); call reset to start a new episode"
        case .browserLost(let why): "the browser went away (\(why)); call reset to start a new episode in a new browser"
        case .unknownTask(let name): "unknown task '\(name)'"
        case .notReset: "no episode: call reset first"
        }
    }
}
