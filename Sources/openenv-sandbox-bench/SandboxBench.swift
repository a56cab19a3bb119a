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
/// Prints p50 and p99 in milliseconds. Needs root and bubblewrap, like the environments.
@main @MainActor
struct SandboxBench {
    static func main() async throws {
        let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 100
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
        name.padding(toLength: 36, withPad: " ", startingAt: 0) + a.padding(toLength: 10, withPad: " ", startingAt: 0) + b
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
