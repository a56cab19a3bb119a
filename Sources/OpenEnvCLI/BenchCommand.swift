import ArgumentParser
import Foundation
import OpenEnvBench
import OpenEnvCore

/// `bench`: a load generator for any OpenEnv server (ours or the Python reference).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an OpenEnv server over /ws or HTTP and report steps/s, latency, and server CPU and memory.",
        discussion: """
            Only loopback targets are accepted. With --server-pid, server CPU per step and RSS come from /proc \
            (the whole process tree of PID). The generator runs on SwiftNIO and costs a few microseconds per step.
            """)

    @Option(help: "Server base URL, e.g. http://127.0.0.1:8000.")
    var url: String

    @Option(help: "ws: C sessions stepping over /ws. http: C keep-alive connections POSTing /step. hold: open C idle sessions and report server RSS.")
    var mode: String = "ws"

    @Option(name: [.customShort("c"), .long], help: "Concurrent sessions or connections.")
    var concurrency = 8

    @Option(name: [.customShort("s"), .long], help: "Timed steps per session (ignored in hold mode).")
    var steps = 250

    @Option(help: "The step action as JSON (default: a valid action built from /schema, or the first MCP tool).")
    var action: String?

    @Option(help: "Untimed steps per session before the measured phase.")
    var warmup = 0

    @Option(help: "PID of the server process, for CPU per step and RSS.")
    var serverPID: Int32?

    @Option(help: "Upper bound on the measured phase, in seconds.")
    var maxSeconds: Double = 300

    @Flag(help: "HTTP mode: give each connection its own session (openenv/session/create) and send its id with every reset and step. swift-openenv servers only.")
    var httpSessions = false

    @Option(help: "ws mode: each session is a vector of N environments (/ws?num_envs=N, swift-openenv servers only), all stepped by each message; figures count env-steps.")
    var numEnvs: Int?

    @Flag(help: "Print the result as one JSON object instead of text.")
    var json = false

    @OptionGroup var token: ClientTokenOption

    /// Rewrites the current terminal line on standard error.
    @Sendable static func showProgress(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
    }

    func run() async throws {
        guard let mode = BenchConfiguration.Mode(rawValue: mode) else {
            throw ValidationError("--mode must be ws, http or hold")
        }
        guard concurrency >= 1, steps >= 0, warmup >= 0 else { throw ValidationError("--concurrency must be >= 1, --steps and --warmup >= 0") }
        let parsedAction: JSONValue?
        if let action {
            do { parsedAction = try JSONParser.parse(action) } catch { throw ValidationError("--action is not JSON: \(error)") }
        } else {
            parsedAction = nil
        }
        var target: BenchTarget
        do { target = try BenchTarget(url: url) } catch { throw ValidationError(error.description) }
        target.bearerToken = token.resolved()
        var configuration = BenchConfiguration(
            target: target, mode: mode, concurrency: concurrency, steps: steps, warmup: warmup, action: parsedAction,
            serverPID: serverPID, maxSeconds: maxSeconds)
        configuration.httpSessions = httpSessions
        if let numEnvs {
            guard mode == .ws, numEnvs >= 1 else { throw ValidationError("--num-envs needs --mode ws and at least 1") }
            configuration.numEnvs = numEnvs
        }
        let interactive = isatty(2) == 1
        let result = try await Benchmark.run(configuration, progress: interactive ? Self.showProgress : nil)
        if interactive { Self.showProgress("") }
        print(json ? JSONWriter().string(result.json) : result.text)
        if result.errors > 0 && mode != .hold { throw ExitCode(2) }
    }
}
