/// The resource limits of one sandboxed session, with their defaults.
///
/// Enforced by the kernel, not by the sandboxed code: rlimits set before `bwrap` starts
/// (so every process of the session inherits them) and cgroup v1 groups shared by all
/// processes of the session. A session's processes run under the session's own host uid,
/// so `processes` (RLIMIT_NPROC) counts exactly that session's tasks.
public struct SandboxLimits: Sendable, Equatable {
    /// Wall-clock time one call (a code step, a shell command) may take; the environment
    /// decides what is killed when it passes. Default 30 s.
    public var wallClock: Duration = .seconds(30)
    /// CPU seconds each process may use over its lifetime (RLIMIT_CPU; SIGXCPU, then
    /// SIGKILL). Default 300.
    public var cpuSecondsPerProcess: Int = 300
    /// CPU share of the whole session (cgroup `cpu.cfs_quota_us`): 1.0 is one core. Default 1.
    public var cpus: Double = 1.0
    /// Memory of the whole session, page cache and tmpfs included (cgroup memory limit; the
    /// kernel OOM-kills inside the session beyond it), and the address space of each
    /// process (RLIMIT_AS, so a single large allocation fails with `MemoryError`/`ENOMEM`
    /// first). Default 512 MiB.
    public var memoryBytes: Int = 512 << 20
    /// Processes and threads of the session, the sandbox's own four included: reaper, bwrap, its init and the driver (RLIMIT_NPROC
    /// on the session uid, and cgroup `pids.max`). Default 64.
    public var processes: Int = 64
    /// Size of the work directory, a tmpfs whose pages also count against `memoryBytes`
    /// (writes beyond fail with ENOSPC). Default 256 MiB.
    public var workDirectoryBytes: Int = 256 << 20
    /// Open files per process (RLIMIT_NOFILE). Default 256.
    public var openFiles: Int = 256
    /// Largest file a process may write (RLIMIT_FSIZE; writes beyond fail with EFBIG).
    /// Default 64 MiB.
    public var fileSizeBytes: Int = 64 << 20
    /// Output returned per stream per call; the middle of longer output is replaced by a
    /// truncation marker naming the omitted byte count. Default 64 KiB.
    public var outputBytes: Int = 64 << 10

    public init() {}

    public static let defaults = SandboxLimits()
}
