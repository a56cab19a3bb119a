import Foundation

/// The cgroup v1 groups of one session uid, `<root>/{pids,memory,cpu}/openenv/<uid>`:
/// every process of the session joins them before `bwrap` runs (the reaper only `pids`
/// and `cpu`), so the limits bind the session as a whole, whatever it forks.
struct SessionCgroups: Sendable {
    static let controllers = ["pids", "memory", "cpu"]

    /// Limit-hit counters, compared before and after a call to say why it failed.
    struct Counters: Sendable, Equatable {
        var oomKills = 0
        var pidsLimitHits = 0
    }

    let directories: [String: String]

    /// The `cgroup.procs` files every process of the session joins (the reaper included).
    var sharedProcsFiles: [String] { ["pids", "cpu"].map { directories[$0]! + "/cgroup.procs" } }
    /// Joined by the sandboxed program but not by its reaper: the memory cgroup's OOM
    /// killer must choose among the sandbox's processes, never the reaper.
    var programProcsFiles: [String] { [directories["memory"]! + "/cgroup.procs"] }

    /// Why this host's cgroups cannot be used, or `nil` when they can.
    static func unavailableReason(root: String) -> String? {
        for controller in controllers {
            let parent = "\(root)/\(controller)"
            guard FileManager.default.fileExists(atPath: parent + "/cgroup.procs") else {
                return "the cgroup v1 '\(controller)' controller is not mounted at \(parent) (cgroup v1 pids, memory and cpu controllers are required; cgroup v2 is not supported yet)"
            }
            let group = parent + "/openenv"
            if mkdir(group, 0o755) != 0 && errno != EEXIST {
                return "cannot create \(group): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }

    /// Creates (or reuses a leftover) group per controller for `uid` and writes the limits.
    static func create(root: String, uid: UInt32, limits: SandboxLimits) throws(SandboxError) -> SessionCgroups {
        var directories: [String: String] = [:]
        for controller in controllers {
            let path = "\(root)/\(controller)/openenv/\(uid)"
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw .hostOperation("cannot create cgroup \(path): \(String(cString: strerror(errno)))")
            }
            directories[controller] = path
        }
        let groups = SessionCgroups(directories: directories)
        let memory = String(limits.memoryBytes)
        try groups.write("pids", "pids.max", String(limits.processes))
        try groups.write("memory", "memory.limit_in_bytes", memory)
        if FileManager.default.fileExists(atPath: directories["memory"]! + "/memory.memsw.limit_in_bytes") {
            try groups.write("memory", "memory.memsw.limit_in_bytes", memory)
        }
        try groups.write("cpu", "cpu.cfs_period_us", "100000")
        try groups.write("cpu", "cpu.cfs_quota_us", String(max(1000, Int(limits.cpus * 100_000))))
        return groups
    }

    private func write(_ controller: String, _ file: String, _ value: String) throws(SandboxError) {
        let path = directories[controller]! + "/" + file
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .hostOperation("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = value.withCString { Foundation.write(fd, $0, strlen($0)) }
        guard written == value.utf8.count else {
            throw .hostOperation("cannot write \(value) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func read(_ controller: String, _ file: String) -> String {
        (try? String(contentsOfFile: directories[controller]! + "/" + file, encoding: .utf8)) ?? ""
    }

    private static func field(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name, let n = Int(parts[1]) { return n }
        }
        return 0
    }

    var counters: Counters {
        Counters(oomKills: Self.field("oom_kill", in: read("memory", "memory.oom_control")),
                 pidsLimitHits: Self.field("max", in: read("pids", "pids.events")))
    }

    /// Processes and threads of the session now (`pids.current`).
    var taskCount: Int {
        Int(read("pids", "pids.current").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Pids of live processes in the session (the pids controller lists every one).
    var processIDs: [Int32] {
        read("pids", "cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }

    /// Removes the groups; they must be empty.
    func remove() throws(SandboxError) {
        for (_, path) in directories.sorted(by: { $0.key < $1.key }) where rmdir(path) != 0 && errno != ENOENT {
            throw .hostOperation("cannot remove cgroup \(path): \(String(cString: strerror(errno)))")
        }
    }
}
