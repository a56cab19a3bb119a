import Foundation

/// This machine's capacity to run sandboxes: the checks that it can, the shared files,
/// and the leasing of session uids.
///
/// ``prepare()`` verifies every requirement and starts one trial sandbox; it fails with
/// ``SandboxError/unavailable(_:)`` saying what is missing — nothing ever falls back to
/// running code unsandboxed. Requirements: Linux, running as root (to switch each session
/// to its own uid), `bwrap` (Debian package `bubblewrap`), unprivileged user namespaces,
/// cgroup v1 `pids`, `memory` and `cpu` controllers, and the configured Python.
public actor SandboxHost {
    /// The process-wide host, configured from `OPENENV_SANDBOX_*` variables.
    public static let shared = SandboxHost(configurationResult: Result { () throws(SandboxError) in try .fromEnvironment() })

    /// What ``prepare()`` established.
    struct Prepared: Sendable {
        var configuration: SandboxConfiguration
        var bubblewrap: String
        var lockDirectory: String
        var workRoot: String
        var passwdFile: String
        var groupFile: String
    }

    private let configurationResult: Result<SandboxConfiguration, SandboxError>
    private var prepared: Prepared?
    private var preparing: Task<Prepared, any Error>?
    /// Where the next lease starts looking, so that hosts (and servers) spread over the range.
    private var cursor = Int.random(in: 0..<4096)

    public init(configuration: SandboxConfiguration) {
        configurationResult = .success(configuration)
    }

    init(configurationResult: Result<SandboxConfiguration, SandboxError>) {
        self.configurationResult = configurationResult
    }

    /// The configuration (limits, network) sessions get.
    /// - Throws: ``SandboxError/invalidSetting(_:)`` when the environment variables were malformed.
    public func configuration() throws(SandboxError) -> SandboxConfiguration {
        try configurationResult.get()
    }

    /// Checks this host once (again after a failure), sweeps leases abandoned by dead
    /// servers and runs a trial sandbox. Concurrent callers share one preparation.
    @discardableResult
    func prepare() async throws(SandboxError) -> Prepared {
        if let prepared { return prepared }
        let preparation = preparing ?? Task {
            let ready = try checkHost()
            await sweepAbandoned(ready)
            try await trial(ready)
            return ready
        }
        preparing = preparation
        do {
            let ready = try await preparation.value
            prepared = ready
            return ready
        } catch {
            preparing = nil
            throw error as? SandboxError ?? .unavailable("\(error)")
        }
    }

    /// Public form of ``prepare()`` for start-up checks (`openenv serve`).
    public func verify() async throws(SandboxError) {
        try await prepare()
    }

    private func checkHost() throws(SandboxError) -> Prepared {
        let configuration = try configurationResult.get()
        #if !os(Linux)
        throw .unavailable("sandboxes need Linux (bubblewrap, namespaces, cgroups)")
        #else
        guard geteuid() == 0 else {
            throw .unavailable("the server must run as root: every session runs under its own unprivileged host uid (\(configuration.firstUID)..<\(configuration.firstUID + configuration.uidCount)), and only root can switch to it. Run `openenv serve` as root (for example in its container).")
        }
        guard configuration.uidCount > 0, configuration.firstUID >= 1000,
              configuration.firstUID + configuration.uidCount <= Int(UInt32.max) else {
            throw .invalidSetting("the session uid range \(configuration.firstUID)..<\(configuration.firstUID + configuration.uidCount) must be non-empty, above 999 and below 2^32")
        }
        let candidates = configuration.bubblewrapPath.map { [$0] } ?? ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"]
        guard let bubblewrap = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw .unavailable("bubblewrap is not installed (looked for \(candidates.joined(separator: ", "))): install the Debian/Ubuntu package `bubblewrap` (apt-get install -y bubblewrap), or set OPENENV_SANDBOX_BWRAP")
        }
        guard configuration.pythonPath.hasPrefix("/usr/"), access(configuration.pythonPath, X_OK) == 0 else {
            throw .unavailable("no Python interpreter at \(configuration.pythonPath) (it must be under /usr, the only host tree sandboxes see): install python3 (apt-get install -y python3), or set OPENENV_SANDBOX_PYTHON")
        }
        if let why = SessionCgroups.unavailableReason(root: configuration.cgroupRoot) { throw .unavailable(why) }
        let root = configuration.stateDirectory
        try Self.makeRootDirectory(root, mode: 0o711)
        try Self.makeRootDirectory(root + "/locks", mode: 0o700)
        try Self.makeRootDirectory(root + "/work", mode: 0o711)
        try Self.makeRootDirectory(root + "/etc", mode: 0o755)
        try Self.writeRootFile(root + "/etc/passwd", BubblewrapCommand.passwd)
        try Self.writeRootFile(root + "/etc/group", BubblewrapCommand.group)
        return Prepared(configuration: configuration, bubblewrap: bubblewrap, lockDirectory: root + "/locks",
                        workRoot: root + "/work", passwdFile: root + "/etc/passwd", groupFile: root + "/etc/group")
        #endif
    }

    /// Creates `path` if needed and insists it is a real directory owned by root that
    /// nobody else can write: sessions' files are created and deleted under it as root.
    private static func makeRootDirectory(_ path: String, mode: mode_t) throws(SandboxError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw .unavailable("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == 0 else {
            throw .unavailable("\(path) must be a directory owned by root (not a symlink)")
        }
        guard chmod(path, mode) == 0 else {
            throw .unavailable("cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `text` unless the file already holds it: sandboxes being started elsewhere
    /// bind-mount this path, and replacing the file under them breaks their mount.
    private static func writeRootFile(_ path: String, _ text: String) throws(SandboxError) {
        if (try? String(contentsOfFile: path, encoding: .utf8)) == text { return }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            _ = chmod(path, 0o644)
        } catch {
            throw .unavailable("cannot write \(path): \(error)")
        }
    }

    private func trial(_ ready: Prepared) async throws(SandboxError) {
        let sandbox = Sandbox(host: self)
        do {
            let hello = try await sandbox.start(
                prepared: ready, command: [ready.configuration.pythonPath, "-I", "-c", #"print('{"ready": true}')"#],
                environment: [:], workReadOnly: false, startupTimeout: .seconds(20))
            guard hello["ready"] == .bool(true) else { throw SandboxError.startFailed("unexpected greeting \(hello)") }
            await sandbox.close()
        } catch {
            await sandbox.close()
            throw .unavailable("a trial sandbox did not run: \(error)")
        }
    }

    // MARK: - Leases

    /// Leases a free uid and sets up its cgroups and an empty work directory, sweeping
    /// leftovers of a previous holder that did not end cleanly.
    func lease(_ ready: Prepared) async throws(SandboxError) -> SessionResources {
        let c = ready.configuration
        for attempt in 0..<c.uidCount {
            let uid = UInt32(c.firstUID + (cursor + attempt) % c.uidCount)
            guard let lease = try UIDLease.tryAcquire(uid: uid, lockDirectory: ready.lockDirectory) else { continue }
            cursor = (cursor + attempt + 1) % c.uidCount
            do {
                let cgroups = try SessionCgroups.create(root: c.cgroupRoot, uid: uid, limits: c.limits)
                let work = "\(ready.workRoot)/\(uid)"
                if lease.needsSweep {
                    try await Self.killEverything(of: uid, in: cgroups)
                    try WorkDirectory.remove(work)
                }
                try WorkDirectory.create(work, uid: uid, sizeBytes: c.limits.workDirectoryBytes)
                return SessionResources(lease: lease, cgroups: cgroups, workDirectory: work)
            } catch {
                lease.release(clean: false)
                throw error
            }
        }
        throw .noFreeUID(first: c.firstUID, count: c.uidCount)
    }

    /// Cleans up after servers that died holding leases (their locks are free but not
    /// marked clean): processes, work directories and cgroups go, so a crashed server's
    /// sessions leave nothing behind once any server prepares again.
    private func sweepAbandoned(_ ready: Prepared) async {
        let c = ready.configuration
        let names = (try? FileManager.default.contentsOfDirectory(atPath: ready.lockDirectory)) ?? []
        for uid in names.compactMap(UInt32.init) where (c.firstUID..<c.firstUID + c.uidCount).contains(Int(uid)) {
            guard let lease = try? UIDLease.tryAcquire(uid: uid, lockDirectory: ready.lockDirectory) else { continue }
            guard lease.needsSweep else {
                lease.release(clean: true)
                continue
            }
            do {
                let cgroups = try SessionCgroups.create(root: c.cgroupRoot, uid: uid, limits: c.limits)
                try await Self.killEverything(of: uid, in: cgroups)
                try WorkDirectory.remove("\(ready.workRoot)/\(uid)")
                try cgroups.remove()
                lease.release(clean: true)
            } catch {
                lease.release(clean: false)
            }
        }
    }

    /// Kills every process of `uid` and waits until its cgroups hold none.
    static func killEverything(of uid: UInt32, in cgroups: SessionCgroups) async throws(SandboxError) {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let status = SpawnedProcess.kill(as: uid, -1)
            guard status == 0 else { throw .hostOperation("the kill helper for uid \(uid) refused (check \(status))") }
            if cgroups.processIDs.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                throw .hostOperation("processes of uid \(uid) survived SIGKILL for 5 s: \(cgroups.processIDs)")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Ends a lease: the work directory and cgroups go; the uid is marked clean if all went.
    func release(_ resources: SessionResources) async {
        var clean = true
        do {
            try await Self.killEverything(of: resources.lease.uid, in: resources.cgroups)
            try WorkDirectory.remove(resources.workDirectory)
            try resources.cgroups.remove()
        } catch {
            clean = false
        }
        resources.lease.release(clean: clean)
    }
}

/// What one leased uid comes with.
struct SessionResources: Sendable {
    let lease: UIDLease
    let cgroups: SessionCgroups
    let workDirectory: String
    var uid: UInt32 { lease.uid }
}
