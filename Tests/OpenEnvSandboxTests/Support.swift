import Foundation
import OpenEnvCore
import Testing
@testable import OpenEnvCoding
@testable import OpenEnvSandbox

/// Tight limits so that abuse hits them quickly, and half a core per session so that the
/// abuse suite leaves CPU to the tests running next to it.
let tightConfiguration: SandboxConfiguration = {
    var configuration = SandboxConfiguration()
    configuration.limits.cpus = 0.5
    configuration.limits.wallClock = .seconds(10)
    configuration.limits.memoryBytes = 256 << 20
    configuration.limits.processes = 32
    configuration.limits.fileSizeBytes = 16 << 20
    configuration.limits.workDirectoryBytes = 64 << 20
    configuration.limits.outputBytes = 16 << 10
    return configuration
}()
let tightHost = SandboxHost(configuration: tightConfiguration)

/// With `OPENENV_TEST_SANDBOX_POOL=N` (scripts/test runs the abuse suite a second time so),
/// every session opened on `tightHost` takes its sandboxes from a warm pool of N of its own,
/// which ``Session/close()`` shuts down: the escape and abuse tests then hold for pooled
/// sandboxes too, and nothing outlives the test that made it.
let testPoolSize: Int? = ProcessInfo.processInfo.environment["OPENENV_TEST_SANDBOX_POOL"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }

/// A warm pool of `kind`'s sandboxes on `tightHost`; the caller shuts it down.
func testPool(_ kind: EnvironmentKind, size: Int, refill: Int = 2) -> SandboxPool {
    SandboxPool(host: tightHost, command: kind.command, settings: .init(size: size, refill: refill), label: "test-\(kind.rawValue)")
}

/// Polls `condition` every 10 ms for up to 20 s.
func eventually(_ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// The two sandboxed environments, for tests that must hold for both.
enum EnvironmentKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case coding, terminal
    var testDescription: String { rawValue }

    /// What the environment's sandbox runs under `tightConfiguration`.
    var command: [String] {
        switch self {
        case .coding: CodingEnvironment.interpreterCommand(tightConfiguration)
        case .terminal: TerminalEnvironment.shellCommand(tightConfiguration)
        }
    }
}

/// What a snippet did, in terms common to both environments.
struct Outcome: Sendable {
    var text: String
    var exitCode: Int?
    var timedOut: Bool
    var truncated: Bool
    /// The sandbox stepped in (a kill), with its explanation.
    var error: String?
    var elapsed: Duration
}

/// One session of either environment, driven by snippets: Python for `coding`, shell
/// input for `terminal`.
struct Session: Sendable {
    let kind: EnvironmentKind
    private let coding: CodingEnvironment?
    private let terminal: TerminalEnvironment?
    /// The session's own pool (`OPENENV_TEST_SANDBOX_POOL`), shut down by ``close()``.
    private let ownPool: SandboxPool?

    /// A session on `host`, reset once; on `tightHost` its sandboxes come from `pool`, else
    /// from a pool of its own when `OPENENV_TEST_SANDBOX_POOL` is set (the first reset waits
    /// for that pool's first sandbox, so that it is a pooled one).
    static func open(_ kind: EnvironmentKind, host: SandboxHost = tightHost, pool: SandboxPool? = nil) async throws -> Session {
        var ownPool: SandboxPool?
        if pool == nil, host === tightHost, let testPoolSize {
            let made = testPool(kind, size: testPoolSize)
            _ = await eventually { await made.readyCount > 0 }
            ownPool = made
        }
        let pool = pool ?? ownPool
        let session = switch kind {
        case .coding: Session(kind: kind, coding: CodingEnvironment(host: host, pool: pool), terminal: nil, ownPool: ownPool)
        case .terminal: Session(kind: kind, coding: nil, terminal: TerminalEnvironment(host: host, pool: pool), ownPool: ownPool)
        }
        try await session.reset()
        return session
    }

    /// Starts a new episode.
    func reset() async throws {
        _ = try await coding?.reset(seed: nil, episodeID: nil, options: [:])
        _ = try await terminal?.reset(seed: nil, episodeID: nil, options: [:])
    }

    var sandbox: Sandbox { coding?.sandbox ?? terminal!.sandbox }
    var uid: UInt32 { get async throws { try #require(await sandbox.hostUID) } }
    var workDirectory: String { get async throws { try #require(await sandbox.hostWorkDirectory) } }

    /// Runs `python` (coding) or `shell` (terminal).
    func run(python: String, shell: String, timeout: Double? = nil) async throws -> Outcome {
        let started = ContinuousClock.now
        if let coding {
            let result = try await coding.step(.init(code: python, timeoutS: timeout))
            let o = result.observation
            let details = try CodingEnvironment.StepDetails(metadata: result.metadata)
            return Outcome(text: o.stdout + o.stderr, exitCode: o.exitCode, timedOut: details.timedOut, truncated: details.truncated,
                           error: details.error, elapsed: ContinuousClock.now - started)
        }
        let o = try await terminal!.step(.init(command: shell, timeoutS: timeout)).observation
        return Outcome(text: o.output, exitCode: o.exitCode, timedOut: o.status == .timeout, truncated: o.truncated,
                       error: o.error, elapsed: ContinuousClock.now - started)
    }

    /// Prints `text` and returns what came back (both environments).
    func echo(_ text: String) async throws -> String {
        try await run(python: "print(\(String(reflecting: text)))", shell: "echo '\(text)'").text
    }

    func close() async {
        await coding?.close()
        await terminal?.close()
        await ownPool?.shutdown()
    }
}

/// Host processes (any state, zombies included) whose real, effective or saved uid is `uid`.
func processes(of uid: UInt32) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid -> String? in
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let lines = status.split(separator: "\n")
        guard let uids = lines.first(where: { $0.hasPrefix("Uid:") })?.split(separator: "\t").dropFirst().prefix(3),
              uids.contains(where: { UInt32($0) == uid }) else { return nil }
        let name = lines.first { $0.hasPrefix("Name:") }.map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) } ?? "?"
        let state = lines.first { $0.hasPrefix("State:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) } ?? "?"
        return "\(pid) \(name) \(state)"
    }
}

/// Asserts that nothing of a closed session is left: no process, no work directory, no
/// cgroup, and its uid lock marked clean. Holds the uid's lock while it looks, so that no
/// other session leases the uid meanwhile; when one already has, there is nothing to check.
func expectNothingLeft(uid: UInt32, workDirectory: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let lock = open("/var/lib/openenv-sandbox/locks/\(uid)", O_RDONLY | O_CLOEXEC)
    defer { close(lock) }
    guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else { return }
    #expect(processes(of: uid).isEmpty, "processes of uid \(uid) survived: \(processes(of: uid))", sourceLocation: sourceLocation)
    #expect(!FileManager.default.fileExists(atPath: workDirectory), "work directory \(workDirectory) survived", sourceLocation: sourceLocation)
    for controller in SessionCgroups.controllers {
        let path = "/sys/fs/cgroup/\(controller)/openenv/\(uid)"
        #expect(!FileManager.default.fileExists(atPath: path), "cgroup \(path) survived", sourceLocation: sourceLocation)
    }
    let marker = try? String(contentsOfFile: "/var/lib/openenv-sandbox/locks/\(uid)", encoding: .utf8)
    #expect(marker == "clean", "uid \(uid) lock says \(marker ?? "nothing")", sourceLocation: sourceLocation)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
