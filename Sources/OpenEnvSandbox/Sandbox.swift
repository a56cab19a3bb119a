import CSandboxSpawn
import CoreMetrics
import Foundation
import OpenEnvCore

/// One session's sandbox: a leased host uid with its cgroups and work directory, and at
/// most one running sandboxed program that speaks JSON lines on its stdin and stdout.
///
/// Lifecycle: ``start(_:environment:workReadOnly:startupTimeout:)`` runs a program (the
/// first line it prints is its greeting); ``call(_:timeout:)`` sends one request line
/// and waits for one reply line; ``stop()`` kills every process of the session but keeps
/// the work directory; ``close()`` also deletes the work directory and cgroups and frees
/// the uid. A call that passes its timeout, is cancelled, or whose program dies or breaks
/// the protocol returns a ``SandboxFailure`` after every process of the session has been
/// killed; the next ``start(_:environment:workReadOnly:startupTimeout:)`` gets a fresh
/// sandbox over the same work directory. ``startFresh(_:pool:)`` begins an episode in a
/// fresh sandbox, taken from a ``SandboxPool`` when one is ready.
public actor Sandbox {
    private struct Running {
        let process: SpawnedProcess
        let channel: LineChannel
        let stderr: StreamTail
        /// Host pid of the namespace's init: killing it kills everything inside.
        let namespaceInit: pid_t?
        var generation: Int
        var expiry: SandboxFailure.Reason?
        /// Tasks of the session when the deadline passed: at the limit, a fork bomb.
        var tasksAtExpiry = 0
    }

    private let host: SandboxHost
    private var resources: SessionResources?
    private var running: Running?
    private var generation = 0
    private var isClosed = false
    /// The closing of what ``startFresh(_:pool:)`` gave up (the previous episode's uid and
    /// processes), running in the background; ``close()`` waits for it.
    private var retiring: Task<Void, Never>?

    public init(host: SandboxHost = .shared) {
        self.host = host
    }

    private init(host: SandboxHost, resources: SessionResources?, running: Running?) {
        self.host = host
        self.resources = resources
        self.running = running
    }

    /// The host uid the session runs as, once leased.
    public var hostUID: UInt32? { resources?.uid }
    /// The work directory's host path, once leased.
    public var hostWorkDirectory: String? { resources?.workDirectory }
    /// A program is running (started and not failed or stopped since).
    public var isRunning: Bool { running != nil }
    /// Processes and threads of the session now, the sandbox's own included; `nil`
    /// before the first start.
    public var taskCount: Int? { resources?.cgroups.taskCount }

    /// A warning while the session is at its process limit (new processes fail to start,
    /// e.g. after a fork bomb), else `nil`.
    public func processLimitWarning() async -> String? {
        guard let count = taskCount, let limit = try? await host.configuration().limits.processes, count >= limit else { return nil }
        return "the session is at its limit of \(limit) processes: new processes fail to start until some end (`kill -9 -1` ends them all, and the sandbox)"
    }

    /// Stops any running program and starts `command` (absolute path first) in a fresh
    /// sandbox; returns its greeting, the first line it prints, which must be a JSON object.
    /// - Throws: ``SandboxError`` when the host cannot run sandboxes, no uid is free, or
    ///   the program does not greet within `startupTimeout` (with its diagnostics).
    public func start(
        _ command: [String], environment: [String: String] = [:], workReadOnly: Bool = false,
        startupTimeout: Duration = .seconds(20)
    ) async throws(SandboxError) -> JSONObject {
        // Counted through the global swift-metrics system (a no-op unless the process
        // bootstrapped one: `openenv serve` points it at the server's /metrics registry).
        Counter(label: "openenv_sandbox_starts_total").increment()
        do {
            let ready = try await host.prepare()
            return try await start(prepared: ready, command: command, environment: environment,
                                   workReadOnly: workReadOnly, startupTimeout: startupTimeout)
        } catch {
            Counter(label: "openenv_sandbox_failures_total").increment()
            throw error
        }
    }

    func start(
        prepared ready: SandboxHost.Prepared, command: [String], environment: [String: String], workReadOnly: Bool,
        startupTimeout: Duration
    ) async throws(SandboxError) -> JSONObject {
        guard !isClosed else { throw .hostOperation("the sandbox session is closed") }
        await stop()
        if resources == nil {
            let leased = try await host.lease(ready)
            // close() may have run while this start waited for the lease (actor reentrancy):
            // then nobody would release what was just leased.
            guard !isClosed else {
                await host.release(leased)
                throw .hostOperation("the sandbox session is closed")
            }
            resources = leased
        }
        let session = resources!
        var pair: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        var infoPipe: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0,
              oe_pipe_cloexec(&errorPipe) == 0, oe_pipe_cloexec(&infoPipe) == 0 else {
            let why = String(cString: strerror(errno))
            for fd in pair + errorPipe + infoPipe where fd >= 0 { Foundation.close(fd) }
            throw .hostOperation("cannot create the sandbox's pipes: \(why)")
        }
        let bwrap = BubblewrapCommand(
            bubblewrap: ready.bubblewrap, network: ready.configuration.network, workDirectory: session.workDirectory,
            workReadOnly: workReadOnly, passwdFile: ready.passwdFile, groupFile: ready.groupFile, infoFD: 3,
            environment: BubblewrapCommand.baseEnvironment.merging(environment) { $1 }, command: command)
        let process: SpawnedProcess
        do {
            process = try await SpawnedProcess.spawn(SpawnedProcess.Request(
                executable: ready.bubblewrap, arguments: bwrap.arguments, environment: ["PATH": "/usr/bin:/bin"],
                stdin: pair[1], stdout: pair[1], stderr: errorPipe[1], extraFD: infoPipe[1],
                cgroupProcsFiles: session.cgroups.sharedProcsFiles, programCgroupProcsFiles: session.cgroups.programProcsFiles,
                uid: session.uid, limits: ready.configuration.limits))
        } catch {
            for fd in pair + errorPipe + infoPipe { Foundation.close(fd) }
            throw error
        }
        for fd in [pair[1], errorPipe[1], infoPipe[1]] { Foundation.close(fd) }
        let namespaceInit = Self.readNamespaceInit(infoPipe[0])
        Foundation.close(infoPipe[0])
        generation += 1
        running = Running(
            process: process,
            channel: LineChannel(fd: pair[0], maxLineBytes: ready.configuration.limits.outputBytes * 16 + (1 << 20)),
            stderr: StreamTail(fd: errorPipe[0]), namespaceInit: namespaceInit, generation: generation)
        switch await receive(timeout: startupTimeout) {
        case .success(let greeting): return greeting
        case .failure(let failure):
            let said = failure.diagnostics.isEmpty ? "" : "; its standard error: \(failure.diagnostics)"
            throw .startFailed("\(command.joined(separator: " ").prefix(120)): \(failure)\(said)")
        }
    }

    /// Starts `command` for a new episode in a fresh sandbox over an empty work directory,
    /// and returns its greeting.
    ///
    /// With a `pool` running the same command that has a sandbox ready, this sandbox adopts
    /// that one (its uid, cgroups, empty work directory and already running program: no
    /// wait) and closes what it had (the previous episode's uid, files and processes) in the
    /// background. Otherwise (no pool, an empty pool, another command) it is
    /// ``clearWorkDirectory()`` then ``start(_:environment:workReadOnly:startupTimeout:)``.
    /// - Throws: as ``start(_:environment:workReadOnly:startupTimeout:)``.
    public func startFresh(_ command: [String], pool: SandboxPool?) async throws(SandboxError) -> JSONObject {
        guard !isClosed else { throw .hostOperation("the sandbox session is closed") }
        if let pool, pool.command == command, let warm = await pool.take() {
            if let taken = await warm.sandbox.handOver() {
                let previous = Sandbox(host: host, resources: resources, running: running)
                let before = retiring
                retiring = Task {
                    await before?.value
                    await previous.close()
                }
                generation += 1
                var adopted = taken.running
                adopted.generation = generation
                resources = taken.resources
                running = adopted
                return warm.greeting
            }
            await warm.sandbox.close()
        }
        try await clearWorkDirectory()
        return try await start(command)
    }

    /// Gives this sandbox's uid and running program away (to ``startFresh(_:pool:)`` of
    /// another sandbox); this one is then closed and owns nothing. `nil` when it has no
    /// healthy running program to give.
    private func handOver() -> (resources: SessionResources, running: Running)? {
        guard !isClosed, let resources, let running, running.expiry == nil else { return nil }
        isClosed = true
        self.resources = nil
        self.running = nil
        return (resources, running)
    }

    /// bwrap writes `{"child-pid": N, ...}` to its info fd right after creating the
    /// namespaces, then closes it.
    private static func readNamespaceInit(_ fd: Int32) -> pid_t? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            guard poll(&poller, 1, 100) >= 0 || errno == EINTR else { return nil }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes += buffer[0..<n]; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            break
        }
        guard let pid = (try? JSONParser.parse(bytes))?["child-pid"]?.intValue, pid > 1 else { return nil }
        return pid_t(pid)
    }

    /// Sends `request` as one line and waits up to `timeout` for the reply line, a JSON object.
    public func call(_ request: JSONValue, timeout: Duration) async -> Result<JSONObject, SandboxFailure> {
        guard let running else { return .failure(SandboxFailure(.notStarted("no sandboxed program is running"))) }
        do {
            try await running.channel.send(JSONWriter().bytes(request))
        } catch {
            return .failure(await fail(nil, before: resources?.cgroups.counters ?? .init()))
        }
        return await receive(timeout: timeout)
    }

    /// ``call(_:timeout:)`` with the reply decoded as `Reply` (unknown keys ignored); a
    /// reply that does not decode breaks the protocol: everything is killed.
    public func call<Reply: Decodable & Sendable>(
        _ request: JSONValue, timeout: Duration, replyAs: Reply.Type
    ) async -> Result<Reply, SandboxFailure> {
        switch await call(request, timeout: timeout) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let object):
            do {
                return .success(try JSONValueDecoder(forbidExtraKeys: false).decode(Reply.self, from: .object(object)))
            } catch {
                await stop()
                return .failure(SandboxFailure(.protocolViolation("a reply that does not fit: \(error)")))
            }
        }
    }

    private func receive(timeout: Duration) async -> Result<JSONObject, SandboxFailure> {
        guard let running, let resources else { return .failure(SandboxFailure(.notStarted("no sandboxed program is running"))) }
        let before = resources.cgroups.counters
        let generation = running.generation
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(generation, .timeout(timeout))
        }
        let event = await withTaskCancellationHandler {
            await running.channel.next()
        } onCancel: {
            Task { await self.expire(generation, .cancelled) }
        }
        timer.cancel()
        switch event {
        case .line(let bytes):
            if let object = (try? JSONParser.parse(bytes))?.objectValue, self.running?.expiry == nil { return .success(object) }
            return .failure(await fail(.protocolViolation("a line that is not a JSON object"), before: before))
        case .overlong:
            return .failure(await fail(.protocolViolation("a line longer than the output limit allows"), before: before))
        case .end:
            return .failure(await fail(nil, before: before))
        }
    }

    /// The deadline (or a cancellation) of the running program's current call passed.
    private func expire(_ generation: Int, _ reason: SandboxFailure.Reason) {
        guard var current = running, current.generation == generation, current.expiry == nil, let uid = resources?.uid else { return }
        current.expiry = reason
        current.tasksAtExpiry = resources?.cgroups.taskCount ?? 0
        running = current
        _ = SpawnedProcess.kill(as: uid, current.namespaceInit ?? current.process.pid)
    }

    /// Explains why the program gave no reply, after making sure everything is dead.
    private func fail(_ hint: SandboxFailure.Reason?, before: SessionCgroups.Counters) async -> SandboxFailure {
        guard let current = running, let resources else { return SandboxFailure(hint ?? .ended(nil)) }
        let limits = (try? await host.configuration())?.limits ?? .defaults
        let status = await current.process.wait(timeout: .milliseconds(500))
        await current.stderr.close()
        let after = resources.cgroups.counters
        let reason: SandboxFailure.Reason
        if let expiry = current.expiry {
            reason = expiry
        } else if let hint {
            reason = hint
        } else if after.oomKills > before.oomKills {
            reason = .outOfMemory(limitBytes: limits.memoryBytes)
        } else if status == .exited(128 + SIGXCPU) || status == .signalled(SIGXCPU) {
            reason = .cpuTimeLimit(seconds: limits.cpuSecondsPerProcess)
        } else {
            reason = .ended(status.map(Self.innerStatus))
        }
        let failure = SandboxFailure(
            reason,
            processLimitReached: after.pidsLimitHits > before.pidsLimitHits || current.tasksAtExpiry >= limits.processes,
            processLimit: limits.processes,
            diagnostics: current.stderr.text)
        await stop()
        return failure
    }

    /// bwrap exits with its command's status, or 128 + the signal that killed it.
    private static func innerStatus(_ status: ExitStatus) -> ExitStatus {
        if case .exited(let code) = status, code > 128 { return .signalled(code - 128) }
        return status
    }

    /// Kills every process of the session and waits until they are gone; keeps the work
    /// directory. Does nothing when nothing runs.
    public func stop() async {
        guard let current = running, let resources else { return }
        running = nil
        if let initPID = current.namespaceInit {
            _ = SpawnedProcess.kill(as: resources.uid, initPID)
            _ = await current.process.wait(timeout: .seconds(2))  // bwrap reaps its init, then exits
        }
        try? await SandboxHost.killEverything(of: resources.uid, in: resources.cgroups)
        _ = await current.process.wait(timeout: .seconds(5))
        current.channel.close()
        await current.stderr.close()
    }

    /// Empties the work directory (stopping any running program first).
    public func clearWorkDirectory() async throws(SandboxError) {
        await stop()
        guard let resources else { return }
        let size = try await host.configuration().limits.workDirectoryBytes
        try WorkDirectory.remove(resources.workDirectory)
        try WorkDirectory.create(resources.workDirectory, uid: resources.uid, sizeBytes: size)
    }

    /// Ends the session: kills everything, deletes the work directory and cgroups and
    /// frees the uid. Later starts fail; calling it again does nothing.
    public func close() async {
        isClosed = true
        await retiring?.value
        retiring = nil
        await stop()
        if let resources {
            self.resources = nil
            await host.release(resources)
        }
    }
}
