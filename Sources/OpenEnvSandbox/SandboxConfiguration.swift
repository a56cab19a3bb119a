import Foundation

/// How sandboxes are built on this host: where things live, which uids sessions use,
/// whether they get a network, and their limits.
///
/// Every server on one machine must use the same ``stateDirectory`` and uid range: uid
/// leases are host-wide lock files in it, and a leased uid's leftovers (processes,
/// cgroups, work directory) are swept when it is leased again.
public struct SandboxConfiguration: Sendable, Equatable {
    /// `bwrap`; `nil` searches `/usr/bin`, `/usr/local/bin` and `/bin`.
    public var bubblewrapPath: String?
    /// The Python interpreter inside the sandbox. It must live under a directory the
    /// sandbox mounts (`/usr`). Default `/usr/bin/python3`.
    public var pythonPath = "/usr/bin/python3"
    /// Root-owned directory for uid locks, generated `/etc/passwd`, and the mount points of
    /// the sessions' work directories (`work/<uid>`, each a tmpfs). Default
    /// `/var/lib/openenv-sandbox`.
    public var stateDirectory = "/var/lib/openenv-sandbox"
    /// Where cgroup v1 controllers are mounted (`<root>/pids`, `<root>/memory`, `<root>/cpu`).
    public var cgroupRoot = "/sys/fs/cgroup"
    /// Host uids (and gids) of sessions: `firstUID ..< firstUID + uidCount`, one per live
    /// session. Default 200000, 4096.
    public var firstUID = 200_000
    public var uidCount = 4096
    /// Share the host's network namespace. Default `false`: a private namespace with only
    /// a loopback device, so no connection leaves the sandbox, not even to the host's
    /// loopback.
    public var network = false
    public var limits = SandboxLimits.defaults

    public init() {}

    /// The defaults, overridden by `OPENENV_SANDBOX_*` variables (read by `openenv serve`):
    /// `NETWORK` (1/true), `TIMEOUT` (seconds), `MEMORY_MB`, `PROCESSES`, `CPUS`,
    /// `CPU_SECONDS`, `OPEN_FILES`, `FILE_SIZE_MB`, `WORK_MB`, `OUTPUT_KB`, `STATE_DIR`, `PYTHON`,
    /// `BWRAP`, `FIRST_UID`.
    /// - Throws: ``SandboxError/invalidSetting(_:)`` for a value that does not parse or is
    ///   out of range.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(SandboxError) -> SandboxConfiguration {
        var c = SandboxConfiguration()
        func value(_ key: String) -> String? { environment["OPENENV_SANDBOX_" + key].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ key: String, _ range: ClosedRange<Double>) throws(SandboxError) -> Double? {
            guard let text = value(key) else { return nil }
            guard let n = Double(text), range.contains(n) else {
                throw .invalidSetting("OPENENV_SANDBOX_\(key)=\(text): expected a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        if let text = value("NETWORK") {
            switch text.lowercased() {
            case "1", "true", "yes", "on": c.network = true
            case "0", "false", "no", "off": c.network = false
            default: throw .invalidSetting("OPENENV_SANDBOX_NETWORK=\(text): expected 1/true or 0/false")
            }
        }
        if let n = try number("TIMEOUT", 0.1...86_400) { c.limits.wallClock = .milliseconds(Int64(n * 1000)) }
        if let n = try number("MEMORY_MB", 32...1_048_576) { c.limits.memoryBytes = Int(n) << 20 }
        if let n = try number("PROCESSES", 8...100_000) { c.limits.processes = Int(n) }
        if let n = try number("CPUS", 0.01...1024) { c.limits.cpus = n }
        if let n = try number("CPU_SECONDS", 1...31_536_000) { c.limits.cpuSecondsPerProcess = Int(n) }
        if let n = try number("OPEN_FILES", 16...1_048_576) { c.limits.openFiles = Int(n) }
        if let n = try number("FILE_SIZE_MB", 1...1_048_576) { c.limits.fileSizeBytes = Int(n) << 20 }
        if let n = try number("WORK_MB", 1...1_048_576) { c.limits.workDirectoryBytes = Int(n) << 20 }
        if let n = try number("OUTPUT_KB", 1...1_048_576) { c.limits.outputBytes = Int(n) << 10 }
        if let n = try number("FIRST_UID", 1000...4_000_000_000) { c.firstUID = Int(n) }
        if let text = value("STATE_DIR") { c.stateDirectory = text }
        if let text = value("PYTHON") { c.pythonPath = text }
        if let text = value("BWRAP") { c.bubblewrapPath = text }
        return c
    }
}
