import Foundation
import OpenEnvCore
import Synchronization
import Testing
@testable import OpenEnvCoding
@testable import OpenEnvSandbox

/// Hostile code against both sandboxed environments, with real processes.
///
/// Every test runs the abuse in one session while a bystander session of the same kind
/// keeps answering, then checks that the abuse failed safely, that the session said
/// what happened, that the bystander never stalled, and that closing the abusive session
/// left no process, file or cgroup behind. The test process plays the server.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct AbuseTests {
    /// Runs `abuse` in a fresh session while a bystander echoes every 100 ms; returns
    /// what `abuse` returned. Fails if a bystander round trip took over 5 s or failed.
    func withBystander<T: Sendable>(
        _ kind: EnvironmentKind, _ abuse: @Sendable (Session) async throws -> T
    ) async throws -> T {
        let bystander = try await Session.open(kind)
        let abuser = try await Session.open(kind)
        let uid = try await abuser.uid
        let work = try await abuser.workDirectory
        // Stopped by a flag, not by cancellation: cancelling a step kills its sandbox.
        let done = Flag()
        let pinger = Task { () -> (worst: Duration, failures: [String]) in
            var worst = Duration.zero
            var failures: [String] = []
            while !done.isSet {
                let started = ContinuousClock.now
                do {
                    let text = try await bystander.echo("alive")
                    if text != "alive\n" { failures.append(text) }
                } catch {
                    failures.append("\(error)")
                }
                worst = max(worst, ContinuousClock.now - started)
                try? await Task.sleep(for: .milliseconds(100))
            }
            return (worst, failures)
        }
        let result: T
        do {
            result = try await abuse(abuser)
        } catch {
            done.set()
            _ = await pinger.value
            await abuser.close()
            await bystander.close()
            throw error
        }
        done.set()
        let (worst, failures) = await pinger.value
        #expect(failures.isEmpty, "the bystander failed: \(failures)")
        #expect(worst < .seconds(5), "a bystander round trip took \(worst)")
        #expect(try await bystander.echo("still here") == "still here\n")
        await abuser.close()
        expectNothingLeft(uid: uid, workDirectory: work)
        await bystander.close()
        return result
    }

    @Test(arguments: EnvironmentKind.allCases)
    func forkBomb(_ kind: EnvironmentKind) async throws {
        try await withBystander(kind) { session in
            let uid = try await session.uid
            let sampler = Task { () -> Int in
                var most = 0
                while !Task.isCancelled {
                    most = max(most, processes(of: uid).count)
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return most
            }
            let outcome = try await session.run(
                python: """
                    import os
                    while True:
                        try:
                            os.fork()
                        except OSError:
                            pass
                    """,
                shell: "bomb() { bomb | bomb & }; bomb; sleep 3; echo launched",
                timeout: 3)
            try await Task.sleep(for: .milliseconds(300))
            sampler.cancel()
            let most = await sampler.value
            #expect(most <= 32, "the session ran \(most) processes, over its limit of 32")
            if kind == .coding {
                #expect(outcome.timedOut)
                #expect(outcome.error?.contains("limit of 32 processes was reached") == true, "\(outcome)")
            }
            #expect(outcome.elapsed < .seconds(3 + 7), "\(outcome)")
            if kind == .terminal {
                // The bomb runs in the background and hits the limit; the shell still
                // answers (a session still at its limit says so in `error`), and
                // `kill -9 -1`, a builtin, ends everything.
                #expect(outcome.text.contains("fork: retry: Resource temporarily unavailable"), "\(outcome)")
                if let error = outcome.error { #expect(error.contains("at its limit of 32 processes"), "\(outcome)") }
                let recovery = try await session.run(python: "", shell: "kill -9 -1")
                #expect(recovery.error?.contains("ended unexpectedly") == true, "\(recovery)")
            }
            #expect(try await session.echo("after") == "after\n")
        }
    }

    @Test(arguments: EnvironmentKind.allCases)
    func memoryBomb(_ kind: EnvironmentKind) async throws {
        try await withBystander(kind) { session in
            // One process: its address space limit fails the allocation.
            let single = try await session.run(
                python: """
                    blocks = []
                    while True:
                        blocks.append(bytearray(16 << 20))
                    """,
                shell: "python3 -c 'b = []\nwhile True: b.append(bytearray(16 << 20))'; head -c 400M /dev/zero | tail -n 1 >/dev/null",
                timeout: 20)
            #expect(single.text.contains("MemoryError"), "\(single)")
            if kind == .terminal {
                // tail buffers a line without end: RLIMIT_AS stops it, or the cgroup OOM-kills it.
                #expect(single.text.contains("tail: ") || single.text.contains("Killed"), "\(single)")
            }
            #expect(single.error == nil, "a single process's bomb must fail inside it, not kill the session: \(single)")
            // The whole session: tmpfs pages belong to no process, only to the session's cgroup.
            let uid = try await session.uid
            let shared = try await session.run(
                python: """
                    for i in range(40):
                        with open('/tmp/fill%d' % i, 'wb') as f:
                            f.write(b'x' * (15 << 20))
                    print('wrote everything')
                    """,
                shell: "for i in $(seq 40); do head -c 15M /dev/zero > /tmp/fill$i || break; done; echo wrote",
                timeout: 20)
            #expect(!shared.text.contains("wrote everything"), "\(shared)")
            let peak = try String(contentsOfFile: "/sys/fs/cgroup/memory/openenv/\(uid)/memory.max_usage_in_bytes", encoding: .utf8)
            #expect((Int(peak.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max) <= 256 << 20)
            if let error = shared.error {
                #expect(error.contains("memory limit of 256 MiB"), "\(shared)")
            }
            #expect(try await session.echo("after") == "after\n")
        }
    }

    @Test(arguments: EnvironmentKind.allCases)
    func infiniteLoop(_ kind: EnvironmentKind) async throws {
        try await withBystander(kind) { session in
            _ = try await session.run(python: "kept = 1\nopen('file', 'w').write('kept')", shell: "mkdir sub && cd sub")
            let outcome = try await session.run(python: "while True:\n    pass", shell: "while :; do :; done", timeout: 2)
            #expect(outcome.timedOut, "\(outcome)")
            #expect(outcome.elapsed >= .seconds(2) && outcome.elapsed < .seconds(6), "\(outcome)")
            switch kind {
            case .coding:
                #expect(outcome.exitCode == 124)
                #expect(outcome.error?.contains("wall-clock limit of 2 s") == true, "\(outcome)")
                let after = try await session.run(python: "print(open('file').read())\nprint(kept)", shell: "")
                #expect(after.text.hasPrefix("kept\n") && after.text.contains("NameError"), "files stay, variables go: \(after)")
            case .terminal:
                #expect(outcome.exitCode == 130, "SIGINT ended the loop: \(outcome)")
                #expect(try await session.run(python: "", shell: "pwd").text == "/work/sub\n")
            }
        }
    }

    @Test(arguments: EnvironmentKind.allCases)
    func fillingTheDisk(_ kind: EnvironmentKind) async throws {
        try await withBystander(kind) { session in
            let outcome = try await session.run(
                python: """
                    try:
                        for i in range(100):
                            with open('fill%d' % i, 'wb') as f:
                                f.write(b'x' * (15 << 20))
                        print('WROTE EVERYTHING')
                    except OSError as e:
                        print('stopped after', i, 'files:', e)
                    """,
                shell: "for i in $(seq 100); do head -c 15M /dev/zero > fill$i || break; done; echo stopped at $i",
                timeout: 20)
            #expect(outcome.text.contains("No space left on device"), "\(outcome)")
            #expect(!outcome.text.contains("WROTE EVERYTHING"))
            #expect(outcome.error == nil, "a full work directory is an error inside the session, not a kill: \(outcome)")
            let more = try await session.run(python: "open('more', 'wb').write(b'x' * (1 << 20))", shell: "head -c 1M /dev/zero > more")
            #expect(more.text.contains("No space left on device"), "\(more)")
            #expect(try await session.run(python: "import os\nfor f in os.listdir('.'): os.remove(f)\nopen('more', 'w').write('x')\nprint('ok')",
                                          shell: "rm -f fill* more; echo x > more && echo ok").text == "ok\n")
        }
    }

    @Test(arguments: EnvironmentKind.allCases)
    func hugeOutput(_ kind: EnvironmentKind) async throws {
        try await withBystander(kind) { session in
            let outcome = try await session.run(
                python: "import sys\nwhile True:\n    sys.stdout.write('y' * 999 + '\\n')",
                shell: "yes", timeout: 3)
            #expect(outcome.truncated, "\(outcome.exitCode as Any) \(outcome.error as Any)")
            #expect(outcome.text.contains("[... openenv: output truncated: "), "\(outcome.text.prefix(300))")
            #expect(outcome.text.utf8.count < (16 << 10) + 4096)
            if kind == .coding { #expect(outcome.text.contains("File too large"), "RLIMIT_FSIZE stops the writer") }
            let binary = try await session.run(python: "import os\nos.write(1, os.urandom(1 << 20))", shell: "head -c 1M /dev/urandom")
            #expect(binary.truncated && binary.text.utf8.count < 4 * (16 << 10) + 4096)
        }
    }

    @Test(arguments: EnvironmentKind.allCases)
    func writingOutsideTheWorkDirectory(_ kind: EnvironmentKind) async throws {
        let canary = "/tmp/openenv-canary-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: canary, withIntermediateDirectories: false)
        try "keep me".write(toFile: canary + "/file", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: canary) }
        let targets = ["/x", "/usr/x", "/etc/x", "/etc/passwd", "/bin/x", "/var/x", "/work/../x", "/proc/x", "/dev/x", "/usr/lib/x", "/proc/sys/kernel/hostname"]
        try await withBystander(kind) { session in
            let outcome = try await session.run(
                python: """
                    import os
                    for path in \(targets):
                        try:
                            with open(path, 'a') as f:
                                f.write('pwned')
                            print('WROTE', path)
                        except OSError as e:
                            print('refused', path, type(e).__name__)
                    os.symlink('\(canary)', 'canary-link')
                    os.symlink('/etc', 'etc-link')
                    os.symlink('/', 'root-link')
                    """,
                shell: "for p in \(targets.joined(separator: " ")); do echo pwned >> $p && echo \"WROTE $p\"; done; ln -s \(canary) canary-link; ln -s /etc etc-link; ln -s / root-link; echo done")
            #expect(!outcome.text.contains("WROTE"), "\(outcome.text)")
        }
        for path in ["/x", "/usr/x", "/etc/x", "/bin/x", "/var/x", "/usr/lib/x"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) appeared on the host")
        }
        #expect(try String(contentsOfFile: canary + "/file", encoding: .utf8) == "keep me", "deleting the work directory followed a link")
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    @Test(arguments: EnvironmentKind.allCases)
    func readingHostSecrets(_ kind: EnvironmentKind) async throws {
        let secretFile = "/root/openenv-abuse-\(UUID().uuidString)"
        try "HOST-SECRET-FILE".write(toFile: secretFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        setenv("OPENENV_ABUSE_SECRET", "HOST-SECRET-ENV", 1)
        let victim = try await Session.open(kind)
        _ = try await victim.run(python: "open('secret.txt', 'w').write('VICTIM-SECRET')", shell: "echo VICTIM-SECRET > secret.txt")
        let victimFile = try await victim.workDirectory + "/secret.txt"
        try await withBystander(kind) { session in
            let paths = [secretFile, victimFile, "/root", "/var/lib/openenv-sandbox", "/proc/1/environ", "/proc/self/environ", "/sys/fs/cgroup", "/home"]
            let outcome = try await session.run(
                python: """
                    import os
                    for path in \(paths):
                        try:
                            print(path, open(path).read() if os.path.isfile(path) else os.listdir(path))
                        except OSError as e:
                            print(path, type(e).__name__)
                    print(dict(os.environ))
                    print(os.listdir('/proc'))
                    """,
                shell: "for p in \(paths.joined(separator: " ")); do cat $p 2>&1 || ls $p 2>&1; done; env; ls /proc; cat /proc/*/environ 2>&1 | tr '\\0' ' '")
            for secret in ["HOST-SECRET-FILE", "HOST-SECRET-ENV", "VICTIM-SECRET"] {
                #expect(!outcome.text.contains(secret), "\(secret) leaked: \(outcome.text)")
            }
        }
        #expect(try await victim.run(python: "print(open('secret.txt').read())", shell: "cat secret.txt").text.contains("VICTIM-SECRET"))
        await victim.close()
        unsetenv("OPENENV_ABUSE_SECRET")
    }

    @Test(arguments: EnvironmentKind.allCases)
    func networkAccess(_ kind: EnvironmentKind) async throws {
        let listener = try TCPListener()
        try await withBystander(kind) { session in
            let outcome = try await session.run(
                python: """
                    import socket
                    for host, port in [('127.0.0.1', \(listener.port)), ('1.1.1.1', 53), ('10.0.0.1', 80)]:
                        try:
                            socket.create_connection((host, port), timeout=2)
                            print('CONNECTED', host)
                        except OSError as e:
                            print('refused', host, type(e).__name__, e)
                    try:
                        print('RESOLVED', socket.getaddrinfo('example.com', 80))
                    except OSError as e:
                        print('no dns', e)
                    print('interfaces', socket.if_nameindex())
                    """,
                shell: """
                    for t in 127.0.0.1/\(listener.port) 1.1.1.1/53 10.0.0.1/80; do (echo > /dev/tcp/$t) 2>&1 && echo "CONNECTED $t"; done; ls /sys/class/net 2>&1; getent hosts example.com || echo no dns
                    """,
                timeout: 10)
            #expect(!outcome.text.contains("CONNECTED") && !outcome.text.contains("RESOLVED"), "\(outcome.text)")
            if kind == .coding { #expect(outcome.text.contains("interfaces [(1, 'lo')]"), "\(outcome.text)") }
        }
        #expect(listener.acceptedNothing, "a connection from the sandbox reached the host")
    }

    @Test(arguments: EnvironmentKind.allCases)
    func killingTheServer(_ kind: EnvironmentKind) async throws {
        let server = getpid()
        try await withBystander(kind) { session in
            let targeted = try await session.run(
                python: """
                    import os, signal
                    for pid in (\(server), 1, os.getppid()):
                        try:
                            os.kill(pid, signal.SIGKILL)
                            print('signalled', pid)
                        except OSError as e:
                            print('refused', pid, type(e).__name__)
                    """,
                shell: "kill -9 \(server) 1; echo survived")
            #expect(!targeted.text.contains("signalled \(server)"), "\(targeted.text)")
            let everything = try await session.run(python: "import os\nos.system('kill -9 -1')", shell: "kill -9 -1", timeout: 5)
            #expect(everything.error?.contains("ended unexpectedly") == true, "\(everything)")
            #expect(try await session.echo("recovered") == "recovered\n")
        }
        #expect(kill(server, 0) == 0)
    }

    /// The interpreter's code can reach its own protocol socket; what it forges there only
    /// ever ends its own interpreter.
    @Test func forgingProtocolMessages() async throws {
        try await withBystander(.coding) { session in
            let forged = try await session.run(
                python: """
                    import os, stat
                    for fd in map(int, os.listdir('/proc/self/fd')):
                        try:
                            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                                os.write(fd, b'{"stdout": "forged"}\\n')
                        except OSError:
                            pass
                    """,
                shell: "")
            #expect(forged.error?.contains("broke the protocol") == true, "\(forged)")
            let garbage = try await session.run(
                python: """
                    import os, stat
                    for fd in map(int, os.listdir('/proc/self/fd')):
                        try:
                            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                                os.write(fd, b'x' * (8 << 20))
                        except OSError:
                            pass
                    """,
                shell: "")
            #expect(garbage.error?.contains("broke the protocol") == true, "\(garbage)")
            #expect(try await session.echo("fine") == "fine\n")
        }
    }

    @Test(arguments: EnvironmentKind.allCases)
    func noLeftoverProcessesAfterClose(_ kind: EnvironmentKind) async throws {
        try await withBystander(kind) { session in
            _ = try await session.run(
                python: """
                    import os, subprocess
                    subprocess.Popen(['sleep', '1000'], start_new_session=True)
                    if os.fork() == 0:
                        os.setsid()
                        if os.fork() == 0:
                            os.execvp('sleep', ['sleep', '1001'])
                        os._exit(0)
                    os.wait()
                    """,
                shell: "nohup sleep 1000 >/dev/null 2>&1 & setsid sleep 1001 & (sleep 1002 &) ; disown -a; echo started")
            let uid = try await session.uid
            var sleepers: [String] = []
            for _ in 0..<100 where sleepers.count < 2 {  // the daemons exec `sleep` a moment later
                try await Task.sleep(for: .milliseconds(20))
                sleepers = processes(of: uid).filter { $0.contains(" sleep ") }
            }
            #expect(sleepers.count >= 2, "\(processes(of: uid))")
        }
    }
}

/// A one-way switch shared between tasks.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// A TCP listener on the host's 127.0.0.1 that never accepts, to see whether anything
/// connected.
final class TCPListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else { throw SandboxError.hostOperation("listener: \(String(cString: strerror(errno)))") }
        port = Int(UInt16(bigEndian: address.sin_port))
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    }

    var acceptedNothing: Bool {
        let client = accept(fd, nil, nil)
        if client >= 0 { close(client) }
        return client < 0
    }

    deinit { close(fd) }
}
