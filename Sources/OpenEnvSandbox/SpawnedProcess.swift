import CSandboxSpawn
import Foundation
import Synchronization

/// How a process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signalled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A direct child started with `oe_spawn`: the reaper of a program running as an
/// unprivileged uid (see `oe_spawn`). Reaped exactly once; its exit status is the
/// program's.
/// `package`: the browser environment starts Chromium as an unprivileged uid with it.
package final class SpawnedProcess: Sendable {
    package struct Request: Sendable {
        var executable: String
        var arguments: [String]
        var environment: [String: String]
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32
        var extraFD: Int32?
        var cgroupProcsFiles: [String]
        var programCgroupProcsFiles: [String]
        var uid: UInt32
        var limits: SandboxLimits

        package init(
            executable: String, arguments: [String], environment: [String: String], stdin: Int32, stdout: Int32, stderr: Int32,
            extraFD: Int32?, cgroupProcsFiles: [String], programCgroupProcsFiles: [String], uid: UInt32, limits: SandboxLimits
        ) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.stdin = stdin
            self.stdout = stdout
            self.stderr = stderr
            self.extraFD = extraFD
            self.cgroupProcsFiles = cgroupProcsFiles
            self.programCgroupProcsFiles = programCgroupProcsFiles
            self.uid = uid
            self.limits = limits
        }
    }

    package let pid: pid_t
    private let status = Mutex<ExitStatus?>(nil)

    private init(pid: pid_t) { self.pid = pid }

    static let stageNames = [
        1: "fork", 2: "setsid", 3: "joining the session's cgroups", 4: "setting rlimits",
        5: "switching to the session uid", 6: "arming the parent-death signal", 7: "setting up file descriptors",
        8: "exec", 9: "refusing to run as root",
    ]

    /// Starts the program from the ``SpawnThread`` (see there why).
    package static func spawn(_ request: Request) async throws(SandboxError) -> SpawnedProcess {
        try await SpawnThread.shared.run { Result { () throws(SandboxError) in try spawnHere(request) } }.get()
    }

    private static func spawnHere(_ request: Request) throws(SandboxError) -> SpawnedProcess {
        var stage: Int32 = 0
        var error: Int32 = 0
        let argv = [request.executable] + request.arguments
        let envp = request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let pid = withCStrings(argv) { argvPointer in
            withCStrings(envp) { envpPointer in
                withCStrings(request.cgroupProcsFiles) { cgroupPointer in
                  withCStrings(request.programCgroupProcsFiles) { programCgroupPointer in
                    request.executable.withCString { path in
                        var r = oe_spawn_request()
                        r.path = path
                        r.argv = argvPointer
                        r.envp = envpPointer
                        r.stdin_fd = request.stdin
                        r.stdout_fd = request.stdout
                        r.stderr_fd = request.stderr
                        r.extra_fd = request.extraFD ?? -1
                        r.cgroup_procs = UnsafePointer(OpaquePointer(cgroupPointer))
                        r.program_cgroup_procs = UnsafePointer(OpaquePointer(programCgroupPointer))
                        r.uid = request.uid
                        r.gid = request.uid
                        r.limits = oe_limits(
                            cpu_seconds: UInt64(request.limits.cpuSecondsPerProcess),
                            address_space: UInt64(request.limits.memoryBytes),
                            processes: UInt64(request.limits.processes),
                            open_files: UInt64(request.limits.openFiles),
                            file_size: UInt64(request.limits.fileSizeBytes))
                        return oe_spawn(&r, &stage, &error)
                    }
                  }
                }
            }
        }
        guard pid > 0 else {
            let what = stageNames[Int(stage)] ?? "stage \(stage)"
            throw .startFailed("cannot start \(request.executable) as uid \(request.uid): \(what) failed: \(String(cString: strerror(error)))")
        }
        return SpawnedProcess(pid: pid)
    }

    /// The exit status if the process has ended (reaping it), else `nil`.
    package func poll() -> ExitStatus? {
        status.withLock { known -> ExitStatus? in
            if let known { return known }
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            guard r == pid else { return nil }
            let ended: ExitStatus = (raw & 0x7F) == 0 ? .exited((raw >> 8) & 0xFF) : .signalled(raw & 0x7F)
            known = ended
            return ended
        }
    }

    /// Waits up to `timeout` for the process to end; `nil` if it is still running.
    package func wait(timeout: Duration) async -> ExitStatus? {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(1)
        while true {
            if let ended = poll() { return ended }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    /// SIGKILL to `target` (or every process of `uid` for -1), sent as `uid`.
    package static func kill(as uid: UInt32, _ target: pid_t) -> Int32 {
        oe_kill_as_uid(uid, uid, target)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, valid during the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
