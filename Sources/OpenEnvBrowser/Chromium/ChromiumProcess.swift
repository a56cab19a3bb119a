import Foundation
import OpenEnvSandbox
import Synchronization

/// One headless Chromium, running as a leased unprivileged host uid with its own sandbox on.
///
/// Started through the sandbox's spawner (`oe_spawn`: no capabilities, no-new-privs, its
/// own session, the uid's own reaper, killed with the server), never as root and never with
/// `--no-sandbox`: Chromium's namespace sandbox (user, PID and network namespaces per
/// renderer, then seccomp-bpf) needs only unprivileged user namespaces, which
/// ``BrowserHost`` checks first. Its profile lives in `stateDirectory/profiles/<uid>`, owned
/// by that uid and removed on ``stop()``; ``stop()`` kills every process of the uid, so
/// nothing of the browser outlives it. The DevTools endpoint listens on 127.0.0.1 only.
final class ChromiumProcess: Sendable {
    let uid: UInt32
    let devToolsURL: String
    let pid: pid_t
    private let process: SpawnedProcess
    private let lease: UIDLease
    private let profile: String

    private init(uid: UInt32, devToolsURL: String, process: SpawnedProcess, lease: UIDLease, profile: String) {
        self.uid = uid
        self.devToolsURL = devToolsURL
        self.pid = process.pid
        self.process = process
        self.lease = lease
        self.profile = profile
    }

    /// Whether the browser process (its reaper) is still running.
    var isRunning: Bool { process.poll() == nil }

    static func launch(_ configuration: BrowserConfiguration, proxyLocked: Bool) async throws -> ChromiumProcess {
        let lease = try leaseUID(configuration)
        let uid = lease.uid
        if lease.needsSweep { _ = SpawnedProcess.kill(as: uid, -1) }
        let profile = "\(configuration.stateDirectory)/profiles/\(uid)"
        do {
            try? FileManager.default.removeItem(atPath: profile)
            guard mkdir(profile, 0o700) == 0, chown(profile, uid, uid) == 0 else {
                throw BrowserError.startFailed("cannot create \(profile): \(String(cString: strerror(errno)))")
            }
            let log = open(profile + ".log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(log); close(null) }
            var limits = SandboxLimits()
            limits.cpuSecondsPerProcess = Int(Int32.max)
            limits.memoryBytes = Int(Int64.max / 2)  // address space: V8 and PartitionAlloc reserve terabytes
            limits.processes = 8192      // threads of the uid: tens per renderer
            limits.openFiles = 4096
            limits.fileSizeBytes = 1 << 30
            let request = SpawnedProcess.Request(
                executable: configuration.chromiumPath, arguments: arguments(configuration, profile: profile, proxyLocked: proxyLocked),
                environment: ["HOME": profile, "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": profile + "/.config",
                              "XDG_CACHE_HOME": profile + "/.cache", "LANG": "C.UTF-8"],
                stdin: null, stdout: log, stderr: log, extraFD: nil, cgroupProcsFiles: [], programCgroupProcsFiles: [],
                uid: uid, limits: limits)
            let process: SpawnedProcess
            LiveUIDs.shared.insert(uid, profile: profile)
            do {
                process = try await SpawnedProcess.spawn(request)
            } catch {
                throw BrowserError.startFailed("\(error)")
            }
            // Chromium writes its DevTools port and browser path once it listens.
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                if let text = try? String(contentsOfFile: profile + "/data/DevToolsActivePort", encoding: .utf8) {
                    let lines = text.split(separator: "\n").map(String.init)
                    if lines.count >= 2, let port = Int(lines[0]) {
                        return ChromiumProcess(uid: uid, devToolsURL: "ws://127.0.0.1:\(port)\(lines[1])", process: process,
                                               lease: lease, profile: profile)
                    }
                }
                if let status = process.poll() {
                    let tail = (try? String(contentsOfFile: profile + ".log", encoding: .utf8))?.suffix(2000) ?? ""
                    throw BrowserError.startFailed("Chromium exited (\(status)) before it listened: \(tail)")
                }
                if ContinuousClock.now >= deadline {
                    _ = SpawnedProcess.kill(as: uid, -1)
                    _ = await process.wait(timeout: .seconds(5))
                    throw BrowserError.startFailed("Chromium did not open its DevTools port within 30 s")
                }
                try? await Task.sleep(for: .milliseconds(25))
            }
        } catch {
            _ = SpawnedProcess.kill(as: uid, -1)
            try? FileManager.default.removeItem(atPath: profile)
            lease.release(clean: false)
            throw error
        }
    }

    /// Kills every process of the browser's uid, waits for them, removes the profile.
    func stop() async {
        _ = SpawnedProcess.kill(as: uid, -1)
        _ = await process.wait(timeout: .seconds(10))
        // Renderers reparented elsewhere would still run as the uid: sweep until none is left.
        for _ in 0..<50 {
            if Self.processes(of: uid).isEmpty { break }
            _ = SpawnedProcess.kill(as: uid, -1)
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? FileManager.default.removeItem(atPath: profile)
        try? FileManager.default.removeItem(atPath: profile + ".log")
        lease.release(clean: Self.processes(of: uid).isEmpty)
        LiveUIDs.shared.remove(uid)
    }

    /// The command line: headless, the DevTools port on loopback, nothing that phones home,
    /// and (unless origins are allowed) every non-loopback request sent to a dead proxy.
    static func arguments(_ configuration: BrowserConfiguration, profile: String, proxyLocked: Bool) -> [String] {
        var arguments = [
            "--headless=new", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            // The WebSocket client sends `Origin: ws://127.0.0.1`, which no web page can send.
            "--remote-allow-origins=ws://127.0.0.1",
            "--user-data-dir=\(profile)/data", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--disable-breakpad", "--disable-crash-reporter", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows", "--metrics-recording-only",
            "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater",
            "--password-store=basic", "--mute-audio", "--hide-scrollbars",
            "--js-flags=--max-old-space-size=\(configuration.rendererHeapMB)",
            "--window-size=\(configuration.viewportWidth),\(configuration.viewportHeight)",
            "about:blank",
        ]
        if proxyLocked {
            // Loopback bypasses a proxy implicitly; everything else goes to a port nobody serves.
            arguments.insert(contentsOf: ["--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"], at: 0)
        }
        return arguments
    }

    private static func leaseUID(_ configuration: BrowserConfiguration) throws -> UIDLease {
        let locks = configuration.stateDirectory + "/locks"
        for uid in configuration.firstUID..<(configuration.firstUID + configuration.uidCount) {
            do {
                if let lease = try UIDLease.tryAcquire(uid: UInt32(uid), lockDirectory: locks) { return lease }
            } catch {
                throw BrowserError.unavailable("\(error)")
            }
        }
        throw BrowserError.unavailable("every browser uid \(configuration.firstUID)..<\(configuration.firstUID + configuration.uidCount) is in use by another server")
    }

    /// Pids of the processes running as `uid` (from /proc).
    static func processes(of uid: UInt32) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry) else { continue }
            var info = stat()
            if stat("/proc/\(entry)", &info) == 0, info.st_uid == uid { found.append(pid) }
        }
        return found
    }
}

/// Uids with a browser running, killed at process exit (their profiles removed): the
/// reaper's parent-death signal already ends Chromium when the server dies, and this also
/// covers a normal exit, where no ``ChromiumProcess/stop()`` runs.
final class LiveUIDs: Sendable {
    static let shared = LiveUIDs()
    private let profiles = Mutex<[UInt32: String]>([:])

    private init() {
        atexit {
            for (uid, profile) in LiveUIDs.shared.profiles.withLock({ $0 }) {
                _ = SpawnedProcess.kill(as: uid, -1)
                try? FileManager.default.removeItem(atPath: profile)
                try? FileManager.default.removeItem(atPath: profile + ".log")
            }
        }
    }

    func insert(_ uid: UInt32, profile: String) { profiles.withLock { $0[uid] = profile } }
    func remove(_ uid: UInt32) { profiles.withLock { _ = $0.removeValue(forKey: uid) } }
}
