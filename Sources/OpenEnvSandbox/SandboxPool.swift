import CoreMetrics
import OpenEnvCore

/// Sandboxes started ahead of need, so that an episode's start does not wait for one.
///
/// The pool keeps up to ``Settings/size`` sandboxes ready, each with its own leased uid,
/// cgroups and empty work directory, and the pool's program already running (its greeting
/// received). ``take()`` hands one out and it never comes back: a sandbox serves one
/// session's episode and is then closed like any other, so nothing of one session can be
/// seen by the next. Taking starts a refill in the background, at most ``Settings/refill``
/// sandboxes at a time. When the pool is empty ``take()`` returns `nil` at once and the
/// caller starts its own sandbox, as without a pool (the fallback, counted as a miss).
///
/// Costs: each ready sandbox is a running program (for the Python drivers, one idle
/// interpreter: see docs/benchmarks.md for its RSS) and one uid of the host's range. A
/// start that fails (the host cannot build sandboxes any more) is counted and retried
/// after a pause, never in a tight loop.
///
/// Metrics (through swift-metrics, as the sandbox's own): `openenv_sandbox_pool_ready`
/// (gauge), `openenv_sandbox_pool_takes_total` with `outcome` `hit` or `miss`.
///
/// ``shutdown()`` stops refilling and closes every ready sandbox; call it before the
/// process exits (`openenv serve` does, after its sessions are closed).
public actor SandboxPool {
    /// How many sandboxes a pool keeps ready and how many it starts at once.
    public struct Settings: Sendable, Equatable {
        /// Sandboxes kept ready (0 disables the pool).
        public var size: Int
        /// Sandboxes started concurrently while refilling (at least 1).
        public var refill: Int

        public init(size: Int, refill: Int = 1) {
            self.size = max(0, size)
            self.refill = max(1, refill)
        }
    }

    public nonisolated let settings: Settings
    /// What every sandbox of the pool runs.
    public nonisolated let command: [String]
    private let host: SandboxHost
    private let label: String
    private var ready: [(sandbox: Sandbox, greeting: JSONObject)] = []
    private var starting = 0
    private var isShutDown = false
    /// After a failed start, the next one waits this long (doubling up to 5 s).
    private var pause: Duration = .zero
    private var startTasks: [Int: Task<Void, Never>] = [:]
    private var nextTaskID = 0

    /// A pool of sandboxes running `command` on `host`; `label` names it in metrics
    /// (the environment, e.g. `coding`). Refilling starts at once.
    public init(host: SandboxHost = .shared, command: [String], settings: Settings, label: String) {
        self.host = host
        self.command = command
        self.settings = settings
        self.label = label
        Task { await self.refill() }
    }

    // Looked up at each use, as the sandbox's own counters: a pool made before the process
    // bootstrapped its metrics system still records into it.
    private func recordReady() {
        Gauge(label: "openenv_sandbox_pool_ready", dimensions: [("env", label)]).record(ready.count)
    }

    private func countTake(hit: Bool) {
        Counter(label: "openenv_sandbox_pool_takes_total", dimensions: [("env", label), ("outcome", hit ? "hit" : "miss")]).increment()
    }

    /// Sandboxes ready now.
    public var readyCount: Int { ready.count }

    /// The host uids and work directories of the sandboxes ready now (for tests).
    func readyResources() async -> [(uid: UInt32, workDirectory: String)] {
        var found: [(UInt32, String)] = []
        for item in ready {
            if let uid = await item.sandbox.hostUID, let work = await item.sandbox.hostWorkDirectory { found.append((uid, work)) }
        }
        return found
    }

    /// A ready sandbox (its program greeted, its work directory empty) with the greeting,
    /// or `nil` when none is ready (or after ``shutdown()``). The caller owns the sandbox
    /// and closes it.
    public func take() -> (sandbox: Sandbox, greeting: JSONObject)? {
        defer { refill() }
        guard !isShutDown, !ready.isEmpty else {
            countTake(hit: false)
            return nil
        }
        let taken = ready.removeFirst()
        recordReady()
        countTake(hit: true)
        return taken
    }

    /// Stops refilling, waits for starts under way and closes every ready sandbox.
    public func shutdown() async {
        isShutDown = true
        for task in startTasks.values {
            task.cancel()  // ends a pause after a failure at once
            await task.value
        }
        let closing = ready
        ready = []
        recordReady()
        for item in closing { await item.sandbox.close() }
    }

    private func refill() {
        while !isShutDown && starting < settings.refill && ready.count + starting < settings.size {
            starting += 1
            let id = nextTaskID
            nextTaskID += 1
            startTasks[id] = Task { await self.startOne(id) }
        }
    }

    private func startOne(_ id: Int) async {
        if pause > .zero { try? await Task.sleep(for: pause) }
        defer {
            starting -= 1
            startTasks[id] = nil
            refill()
        }
        guard !isShutDown else { return }
        let sandbox = Sandbox(host: host)
        do {
            let greeting = try await sandbox.start(command)
            pause = .zero
            if isShutDown {
                await sandbox.close()
            } else {
                ready.append((sandbox, greeting))
                recordReady()
            }
        } catch {
            Counter(label: "openenv_sandbox_pool_start_failures_total", dimensions: [("env", label)]).increment()
            await sandbox.close()
            pause = min(.seconds(5), max(.milliseconds(100), pause * 2))
        }
    }
}
