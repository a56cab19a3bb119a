import Foundation
import OpenEnvCore
import OpenEnvCoding
import OpenEnvSandbox

/// `openenv-sandbox-bench [iterations]`: the per-session cost of the sandboxed
/// environments on this machine, next to an unsandboxed `python3 -c pass` spawn.
///
/// Measures, `iterations` times each (default 100), wall clock:
/// - `python3 -c pass`, spawned and reaped without a sandbox (the floor);
/// - coding: session start (`reset`: uid lease, cgroups, work directory, bwrap, the
///   interpreter's greeting), one trivial step (`pass`), and `close` (kill, reap, delete);
/// - terminal: the same with a shell (`reset`, `true`, `close`).
/// - with a warm pool of `pool` sandboxes (default 4, refilling 2 at a time;
///   `openenv serve coding|terminal --sandbox-pool`): session start while the pool is not
///   exhausted (each reset waits until the pool is full again, as under a steady load the
///   pool keeps up with), session start in bursts of 4x the pool size (back to back: once
///   the pool is empty, resets fall back to starting their own sandbox), and what one ready
///   sandbox costs while it waits (RSS and PSS of its processes, CPU over one second idle).
/// Prints p50 and p99 in milliseconds. Needs root and bubblewrap, like the environments.
/// Usage: `openenv-sandbox-bench [iterations] [pool]`.
@main @MainActor
struct SandboxBench {
    static func main() async throws {
        let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 100
        let poolSize = CommandLine.arguments.dropFirst(2).first.flatMap(Int.init) ?? 4
        try await SandboxHost.shared.verify()
        let python = try await SandboxHost.shared.configuration().pythonPath
        print("openenv-sandbox-bench: \(iterations) iterations, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print(row("measure", "p50 ms", "p99 ms"))
        print(row("python3 -c pass (no sandbox)", try measure(iterations) { try spawnAndWait([python, "-c", "pass"]) }))

        var starts: [Duration] = [], steps: [Duration] = [], closes: [Duration] = []
        for _ in 0..<iterations {
            let env = CodingEnvironment()
            starts.append(try await time { _ = try await env.reset(seed: nil, episodeID: nil, options: [:]) })
            _ = try await env.step(.init(code: "pass"))  // the first step pays for a cold path once
            for _ in 0..<5 { steps.append(try await time { _ = try await env.step(.init(code: "pass")) }) }
            closes.append(try await time { await env.close() })
        }
        print(row("coding: session start (reset)", summary(starts)))
        print(row("coding: step `pass`", summary(steps)))
        print(row("coding: close", summary(closes)))

        starts = []; steps = []; closes = []
        for _ in 0..<iterations {
            let env = TerminalEnvironment()
            starts.append(try await time { _ = try await env.reset(seed: nil, episodeID: nil, options: [:]) })
            _ = try await env.step(.init(command: "true"))
            for _ in 0..<5 { steps.append(try await time { _ = try await env.step(.init(command: "true")) }) }
            closes.append(try await time { await env.close() })
        }
        print(row("terminal: session start (reset)", summary(starts)))
        print(row("terminal: step `true`", summary(steps)))
        print(row("terminal: close", summary(closes)))

        let configuration = try await SandboxHost.shared.configuration()
        try await measurePool(
            "coding", size: poolSize, iterations: iterations,
            pool: SandboxPool(command: CodingEnvironment.interpreterCommand(configuration), settings: .init(size: poolSize, refill: 2), label: "bench"),
            open: { pool in
                let env = CodingEnvironment(pool: pool)
                return (reset: { _ = try await env.reset(seed: nil, episodeID: nil, options: [:]) },
                        uid: { await env.sandbox.hostUID }, close: { await env.close() })
            })
        try await measurePool(
            "terminal", size: poolSize, iterations: iterations,
            pool: SandboxPool(command: TerminalEnvironment.shellCommand(configuration), settings: .init(size: poolSize, refill: 2), label: "bench"),
            open: { pool in
                let env = TerminalEnvironment(pool: pool)
                return (reset: { _ = try await env.reset(seed: nil, episodeID: nil, options: [:]) },
                        uid: { await env.sandbox.hostUID }, close: { await env.close() })
            })
    }

    typealias Opened = (reset: () async throws -> Void, uid: () async -> UInt32?, close: () async -> Void)

    /// The pool rows for one environment (see the type's documentation).
    static func measurePool(
        _ name: String, size: Int, iterations: Int, pool: SandboxPool, open: (SandboxPool) -> Opened
    ) async throws {
        func waitUntilFull() async throws {
            while await pool.readyCount < size { try await Task.sleep(for: .milliseconds(5)) }
        }
        var starts: [Duration] = []
        var idle: [(rss: Int, pss: Int, cpu: Double)] = []
        for _ in 0..<iterations {
            try await waitUntilFull()
            let session = open(pool)
            starts.append(try await time { try await session.reset() })
            if idle.count < 10, let uid = await session.uid() {
                let before = ProcessUsage.of(uid: uid)
                try await Task.sleep(for: .seconds(1))
                let after = ProcessUsage.of(uid: uid)
                idle.append((after.rssKiB, after.pssKiB, after.cpuSeconds - before.cpuSeconds))
            }
            await session.close()
        }
        print(row("\(name): start, pool of \(size) refilled", summary(starts)))

        // Bursts: resets back to back, 4x the pool's size each, split by whether the pool
        // had a sandbox ready (a hit) or was empty (the fallback: the reset starts its own).
        var hits: [Duration] = [], misses: [Duration] = []
        for _ in 0..<max(1, iterations / (4 * size)) {
            try await waitUntilFull()
            var sessions: [Opened] = []
            for _ in 0..<(4 * size) {
                let session = open(pool)
                let empty = await pool.readyCount == 0
                let took = try await time { try await session.reset() }
                if empty { misses.append(took) } else { hits.append(took) }
                sessions.append(session)
            }
            for session in sessions { await session.close() }
        }
        print(row("\(name): bursts of \(4 * size), pool had one (\(hits.count))", summary(hits)))
        print(row("\(name): bursts of \(4 * size), pool empty (\(misses.count))", summary(misses)))
        let n = Double(max(1, idle.count))
        print(String(format: "%@: one idle sandbox: RSS %.1f MiB, PSS %.1f MiB, CPU %.2f ms/s (mean of %d)",
                     name, Double(idle.map(\.rss).reduce(0, +)) / n / 1024, Double(idle.map(\.pss).reduce(0, +)) / n / 1024,
                     idle.map(\.cpu).reduce(0, +) / n * 1000, idle.count))
        await pool.shutdown()
    }

    static func time(_ body: () async throws -> Void) async throws -> Duration {
        let start = ContinuousClock.now
        try await body()
        return ContinuousClock.now - start
    }

    static func measure(_ n: Int, _ body: () throws -> Void) throws -> (String, String) {
        var samples: [Duration] = []
        for _ in 0..<n {
            let start = ContinuousClock.now
            try body()
            samples.append(ContinuousClock.now - start)
        }
        return summary(samples)
    }

    static func summary(_ samples: [Duration]) -> (String, String) {
        guard !samples.isEmpty else { return ("-", "-") }
        let sorted = samples.sorted()
        func at(_ q: Double) -> String {
            let d = sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
            let (s, atto) = d.components
            return String(format: "%.2f", Double(s) * 1000 + Double(atto) / 1e15)
        }
        return (at(0.5), at(0.99))
    }

    static func row(_ name: String, _ values: (String, String)) -> String { row(name, values.0, values.1) }

    static func row(_ name: String, _ a: String, _ b: String) -> String {
        name.padding(toLength: 46, withPad: " ", startingAt: 0) + a.padding(toLength: 10, withPad: " ", startingAt: 0) + b
    }

    /// posix_spawn + waitpid, the cheapest way to run a program from Swift.
    static func spawnAndWait(_ argv: [String]) throws {
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let status = posix_spawn(&pid, argv[0], nil, nil, cArgs, environ)
        guard status == 0 else { throw SandboxError.hostOperation("posix_spawn \(argv[0]): \(String(cString: strerror(status)))") }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
    }
}

/// Memory and CPU of every host process of one uid, read from /proc.
struct ProcessUsage {
    var rssKiB = 0
    var pssKiB = 0
    var cpuSeconds = 0.0

    static func of(uid: UInt32) -> ProcessUsage {
        var usage = ProcessUsage()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for pid in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []) where pid.allSatisfy(\.isNumber) {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let uids = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                  uids.split(separator: "\t").dropFirst().first.flatMap({ UInt32($0) }) == uid else { continue }
            func kib(_ text: String?, _ key: String) -> Int {
                guard let line = text?.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
            }
            usage.rssKiB += kib(status, "VmRSS:")
            usage.pssKiB += kib(try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8), "Pss:")
            // /proc/PID/stat: utime and stime are fields 14 and 15, counted after the ")" that ends the name.
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let end = stat.lastIndex(of: ")") {
                let fields = stat[stat.index(after: end)...].split(separator: " ")
                if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                    usage.cpuSeconds += (user + system) / ticks
                }
            }
        }
        return usage
    }
}
