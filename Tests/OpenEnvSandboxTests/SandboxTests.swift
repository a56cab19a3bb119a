import Foundation
import OpenEnvCore
import Synchronization
import Testing
@testable import OpenEnvSandbox

/// A Python program that greets, then answers each request line `{"code": ...}` with
/// the result of `exec` — just enough protocol to probe the sandbox itself.
let probeProgram = #"""
import json, os, sys
chan = os.fdopen(os.dup(1), "w", buffering=1)
print(json.dumps({"ready": True, "pid": os.getpid(), "uid": os.getuid()}), file=chan)
for line in sys.stdin:
    request = json.loads(line)
    scope = {}
    try:
        exec(request["code"], scope)
        print(json.dumps({"ok": True, "result": scope.get("result")}), file=chan)
    except BaseException as e:
        print(json.dumps({"ok": False, "error": type(e).__name__ + ": " + str(e)}), file=chan)
"""#

func probeCommand(_ host: SandboxHost) async throws -> [String] {
    [try await host.configuration().pythonPath, "-I", "-c", probeProgram]
}

@Suite struct SandboxTests {
    @Test func runsAsAnUnprivilegedUserWithoutCapabilities() async throws {
        let host = SandboxHost.shared
        let sandbox = Sandbox(host: host)
        let greeting = try await sandbox.start(try await probeCommand(host))
        #expect(greeting["uid"] == 1000)
        #expect(greeting["pid"] == 2)
        let reply = try await sandbox.call(["code": """
            status = open('/proc/self/status').read()
            result = {l.split(':')[0]: l.split(':')[1].strip() for l in status.splitlines() if l.startswith(('Cap', 'Uid', 'NoNewPrivs'))}
            """], timeout: .seconds(10)).get()
        let fields = try #require(reply["result"]?.objectValue)
        #expect(fields["CapEff"] == "0000000000000000")
        #expect(fields["CapPrm"] == "0000000000000000")
        #expect(fields["CapBnd"] == "0000000000000000")
        #expect(fields["NoNewPrivs"] == "1")
        let uid = try #require(await sandbox.hostUID)
        let work = try #require(await sandbox.hostWorkDirectory)
        var info = stat()
        #expect(lstat(work, &info) == 0 && info.st_uid == uid && (info.st_mode & 0o777) == 0o700)
        await sandbox.close()
        #expect(lstat(work, &info) != 0)
    }
}

@Suite struct SandboxIsolationTests {
    @Test func namespacesAndFilesystemAreTheSandboxsOwn() async throws {
        let host = SandboxHost.shared
        let first = Sandbox(host: host)
        let second = Sandbox(host: host)
        _ = try await first.start(try await probeCommand(host))
        _ = try await second.start(try await probeCommand(host))
        let probe: JSONValue = ["code": """
            import os, socket
            open('/tmp/mine', 'w').write('x')
            open('/dev/shm/mine', 'w').write('x')
            def writable(path):
                try:
                    open(path, 'w').close()
                    return True
                except OSError:
                    return False
            result = {
                'hostname': socket.gethostname(),
                'interfaces': [name for _, name in socket.if_nameindex()],
                'tmp': sorted(os.listdir('/tmp')),
                'root': sorted(os.listdir('/')),
                'writable': [p for p in ['/work/f', '/tmp/f', '/dev/shm/f', '/f', '/usr/f', '/etc/f', '/dev/f', '/var/tmp/f'] if writable(p)],
                'namespaces': {n: os.readlink('/proc/self/ns/' + n) for n in ['ipc', 'mnt', 'net', 'pid', 'user', 'uts', 'cgroup']},
            }
            """]
        let a = try await first.call(probe, timeout: .seconds(10)).get()["result"]!
        let b = try await second.call(probe, timeout: .seconds(10)).get()["result"]!
        #expect(a["hostname"] == "sandbox")
        #expect(a["interfaces"] == ["lo"])
        #expect(a["tmp"] == ["mine"] && b["tmp"] == ["mine"], "each sandbox has its own /tmp")
        #expect(a["root"] == ["bin", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr", "var", "work"])
        #expect(a["writable"] == ["/work/f", "/tmp/f", "/dev/shm/f", "/var/tmp/f"])
        let ours = try #require(a["namespaces"]?.objectValue)
        let theirs = try #require(b["namespaces"]?.objectValue)
        for member in ours {
            let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(member.key)")
            #expect(member.value != .string(host), "\(member.key) namespace shared with the host")
            #expect(member.value != theirs[member.key], "\(member.key) namespace shared between sessions")
        }
        #expect(await first.hostUID != second.hostUID)
        await first.close()
        await second.close()
    }

    /// A busy server holds far more fds than a sandbox may open (256 by default): starting
    /// a sandbox must not depend on free fd numbers below that limit, and the program
    /// inherits none of the server's fds but gets the limit.
    @Test func aSandboxStartsWhileTheServerHoldsManyFiles() async throws {
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<300 {
            var pair: [Int32] = [-1, -1]
            try #require(pipe(&pair) == 0)
            held += pair
        }
        let host = SandboxHost.shared
        let sandbox = Sandbox(host: host)
        _ = try await sandbox.start(try await probeCommand(host))
        let reply = try await sandbox.call(["code": """
            import os, resource
            result = [list(resource.getrlimit(resource.RLIMIT_NOFILE)), len(os.listdir('/proc/self/fd'))]
            """], timeout: .seconds(10)).get()
        let limits = SandboxLimits()
        // fds: stdin, stdout, stderr, the dup of stdout the probe made, and the one listdir opens.
        #expect(reply["result"] == .array([.array([.int(limits.openFiles), .int(limits.openFiles)]), .int(5)]), "\(reply)")
        await sandbox.close()
    }

    @Test func networkIsOptIn() async throws {
        var configuration = SandboxConfiguration()
        configuration.network = true
        let sandbox = Sandbox(host: SandboxHost(configuration: configuration))
        let listener = try TCPListener()
        _ = try await sandbox.start(try await probeCommand(SandboxHost.shared))
        let reply = try await sandbox.call(["code": .string("import socket\nsocket.create_connection(('127.0.0.1', \(listener.port)), timeout=5).close()\nresult = 'connected'")], timeout: .seconds(10)).get()
        #expect(reply["result"] == "connected", "\(reply)")
        #expect(!listener.acceptedNothing)
        await sandbox.close()
    }

    @Test func aCallThatTimesOutKillsEverythingAndSaysSo() async throws {
        let sandbox = Sandbox(host: SandboxHost.shared)
        _ = try await sandbox.start(try await probeCommand(SandboxHost.shared))
        let uid = try #require(await sandbox.hostUID)
        let started = ContinuousClock.now
        let result = await sandbox.call(["code": "import subprocess\nsubprocess.Popen(['sleep', '100'])\nwhile True: pass"], timeout: .milliseconds(500))
        #expect(ContinuousClock.now - started < .seconds(3))
        guard case .failure(let failure) = result else { Issue.record("expected a failure, got \(result)"); return }
        #expect(failure.reason == .timeout(.milliseconds(500)))
        #expect(failure.exitCode == 124)
        #expect("\(failure)" == "exceeded the wall-clock limit of 0.5 s; every process of the session was killed")
        #expect(processes(of: uid).isEmpty, "\(processes(of: uid))")
        #expect(await !sandbox.isRunning)
        _ = try await sandbox.start(try await probeCommand(SandboxHost.shared))
        #expect(try await sandbox.call(["code": "result = 1"], timeout: .seconds(5)).get()["result"] == 1)
        await sandbox.close()
    }

    @Test func cancellingACallKillsTheSandbox() async throws {
        let sandbox = Sandbox(host: SandboxHost.shared)
        _ = try await sandbox.start(try await probeCommand(SandboxHost.shared))
        let call = Task { await sandbox.call(["code": "import time\ntime.sleep(60)"], timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        call.cancel()
        let result = await call.value
        #expect(ContinuousClock.now - started < .seconds(3))
        guard case .failure(let failure) = result else { Issue.record("expected a failure"); return }
        #expect(failure.reason == .cancelled)
        await sandbox.close()
    }

    @Test func aProgramThatDoesNotGreetFailsToStartWithItsDiagnostics() async throws {
        let sandbox = Sandbox(host: SandboxHost.shared)
        let python = try await SandboxHost.shared.configuration().pythonPath
        await #expect {
            _ = try await sandbox.start([python, "-I", "-c", "import sys; print('no protocol here', file=sys.stderr); sys.exit(3)"])
        } throws: { error in
            guard case SandboxError.startFailed(let why) = error else { return false }
            return why.contains("ended unexpectedly (exit status 3)") && why.contains("no protocol here")
        }
        await #expect(throws: SandboxError.self) { _ = try await sandbox.start(["/usr/bin/does-not-exist"]) }
        await sandbox.close()
    }

    @Test func aHostThatCannotSandboxSaysWhatIsMissing() async throws {
        var noBubblewrap = SandboxConfiguration()
        noBubblewrap.bubblewrapPath = "/nonexistent/bwrap"
        var noPython = SandboxConfiguration()
        noPython.pythonPath = "/opt/python3"
        for (configuration, expected) in [(noBubblewrap, "bubblewrap is not installed"), (noPython, "no Python interpreter at /opt/python3")] {
            let sandbox = Sandbox(host: SandboxHost(configuration: configuration))
            await #expect {
                _ = try await sandbox.start(["/usr/bin/python3"])
            } throws: { error in
                guard case SandboxError.unavailable(let why) = error else { return false }
                return why.contains(expected)
            }
        }
        #expect(throws: SandboxError.invalidSetting("OPENENV_SANDBOX_TIMEOUT=soon: expected a number in 0.1...86400.0")) {
            _ = try SandboxConfiguration.fromEnvironment(["OPENENV_SANDBOX_TIMEOUT": "soon"])
        }
        let configured = try SandboxConfiguration.fromEnvironment([
            "OPENENV_SANDBOX_NETWORK": "1", "OPENENV_SANDBOX_TIMEOUT": "2.5", "OPENENV_SANDBOX_MEMORY_MB": "1024",
            "OPENENV_SANDBOX_PROCESSES": "100", "OPENENV_SANDBOX_OUTPUT_KB": "8"])
        #expect(configured.network && configured.limits.wallClock == .milliseconds(2500))
        #expect(configured.limits.memoryBytes == 1 << 30 && configured.limits.processes == 100 && configured.limits.outputBytes == 8192)
    }

    @Test func closingRemovesEverythingAndFreesTheUID() async throws {
        let sandbox = Sandbox(host: SandboxHost.shared)
        _ = try await sandbox.start(try await probeCommand(SandboxHost.shared))
        let uid = try #require(await sandbox.hostUID)
        let work = try #require(await sandbox.hostWorkDirectory)
        _ = try await sandbox.call(["code": "import os\nos.makedirs('a/b/c')\nos.chmod('a/b', 0)\nos.symlink('/etc', 'etc')"], timeout: .seconds(5))
        await sandbox.close()
        expectNothingLeft(uid: uid, workDirectory: work)
        await #expect(throws: SandboxError.self) { _ = try await sandbox.start(try await probeCommand(SandboxHost.shared)) }
    }
}

/// Runs every job on one thread of its own, which ``stop()`` ends.
final class OneThreadExecutor: TaskExecutor, Sendable {
    private let jobs = Mutex<(queue: [UnownedJob], stopped: Bool)>(([], false))
    private let pending = DispatchSemaphore(value: 0)

    init() {
        Thread { [self] in
            while true {
                pending.wait()
                guard let job = jobs.withLock({ $0.stopped ? nil : $0.queue.removeFirst() }) else { return }
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.queue.append(job) }
        pending.signal()
    }

    /// Ends the thread once the jobs enqueued so far have run.
    func stop() {
        jobs.withLock { $0.stopped = true }
        pending.signal()
    }
}

@Suite struct SandboxLifetimeTests {
    /// A sandbox dies with the thread that forked it (parent-death signal), so sandboxes
    /// must be forked by a thread that lives as long as the process, whatever thread
    /// asked for them.
    @Test func aSandboxOutlivesTheThreadThatStartedIt() async throws {
        let sandbox = Sandbox(host: SandboxHost.shared)
        let executor = OneThreadExecutor()
        let command = try await probeCommand(SandboxHost.shared)
        try await withTaskExecutorPreference(executor) {
            _ = try await sandbox.start(command)
        }
        executor.stop()
        try await Task.sleep(for: .milliseconds(300))
        let reply = await sandbox.call(["code": "result = 'alive'"], timeout: .seconds(5))
        #expect((try? reply.get())?["result"] == "alive", "\(reply)")
        await sandbox.close()
    }
}
