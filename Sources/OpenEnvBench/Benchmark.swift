#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import OpenEnvCore

/// What to measure.
public struct BenchConfiguration: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// C sessions on `/ws`: reset, warm-up, S timed steps each, close.
        case ws
        /// C keep-alive connections: `POST /reset`, warm-up, S timed `POST /step` each.
        case http
        /// Open C sessions (reset each), sample server RSS, one step each, sample, close, sample.
        case hold
    }

    public var target: BenchTarget
    public var mode: Mode
    public var concurrency: Int
    public var steps: Int
    public var warmup: Int
    /// The step action; `nil` builds one from `/schema`.
    public var action: JSONValue?
    /// The server's pid, for CPU per step and RSS (its whole process tree).
    public var serverPID: Int32?
    /// Upper bound on the measured phase; connections still running are cut off.
    public var maxSeconds: Double
    /// HTTP mode: create a session per connection (`openenv/session/create`) and send its
    /// id with every reset and step (stateful HTTP, a swift-openenv extension).
    public var httpSessions = false
    /// ws mode: each session is a vector of this many environments (`/ws?num_envs=N`, a
    /// swift-openenv extension) stepped all at once by each message; the figures then count
    /// env-steps (latencies stay per message). `nil`: plain `/ws` sessions.
    public var numEnvs: Int?

    public init(target: BenchTarget, mode: Mode, concurrency: Int, steps: Int, warmup: Int = 0, action: JSONValue? = nil,
                serverPID: Int32? = nil, maxSeconds: Double = 300) {
        self.target = target
        self.mode = mode
        self.concurrency = concurrency
        self.steps = steps
        self.warmup = warmup
        self.action = action
        self.serverPID = serverPID
        self.maxSeconds = maxSeconds
    }
}

/// The figures of one run.
public struct BenchResult: Sendable {
    public var mode: BenchConfiguration.Mode
    public var concurrency: Int
    public var stepsPerSession: Int
    public var completedSteps: Int
    public var seconds: Double
    public var stepsPerSecond: Double
    public var latency: LatencySummary
    public var errors: Int
    public var errorSample: String?
    public var refused: Int
    /// Server CPU milliseconds per completed step (with a server pid).
    public var serverCPUMillisecondsPerStep: Double?
    /// Server CPU seconds ÷ wall seconds during the measured phase.
    public var serverCores: Double?
    public var serverRSSBytes: Int?
    /// This generator's own CPU milliseconds per step.
    public var generatorCPUMillisecondsPerStep: Double
    /// Hold mode: server RSS before opening, with all sessions open, after one step each, after closing.
    public var holdRSS: (idle: Int, held: Int, afterStep: Int, afterClose: Int)?
    public var action: JSONValue
    /// Environments each message steps (``BenchConfiguration/numEnvs``); steps, rates and
    /// CPU per step count env-steps.
    public var environmentsPerMessage = 1
}

/// Runs benchmarks against an OpenEnv server with a SwiftNIO load generator whose own cost
/// per step is a few microseconds, so it can saturate a fast server on the same machine.
public enum Benchmark {
    /// Runs one benchmark. `progress` is called about every 200 ms with a status line.
    public static func run(_ configuration: BenchConfiguration, progress: (@Sendable (String) -> Void)? = nil) async throws -> BenchResult {
        raiseOpenFileLimit()
        let group = MultiThreadedEventLoopGroup.singleton
        let connector = Connector(target: configuration.target, group: group)
        let action: JSONValue
        if let given = configuration.action { action = given } else { action = try await ActionSynthesizer.action(for: configuration.target, group: group) }
        let coordinator = LoadCoordinator(connections: configuration.concurrency)
        let perMessage = configuration.numEnvs ?? 1
        let stepFrame = JSONWriter().bytes(
            configuration.numEnvs.map { ["type": "step", "data": ["actions": .array(Array(repeating: action, count: $0))]] }
                ?? ["type": "step", "data": action])
        let webSocketPath = configuration.numEnvs.map { "/ws?num_envs=\($0)" } ?? "/ws"
        let steps = configuration.mode == .hold ? 1 : configuration.steps
        let idleRSS = configuration.serverPID.flatMap { ProcessStats.sample(pid: $0) }?.rssBytes ?? 0

        var channels: [any Channel] = []
        channels.reserveCapacity(configuration.concurrency)
        for _ in 0..<configuration.concurrency {
            do {
                switch configuration.mode {
                case .ws, .hold:
                    let hold = configuration.mode == .hold
                    let warmup = configuration.warmup
                    channels.append(try await connector.webSocket(path: webSocketPath) {
                        WebSocketLoadHandler(stepFrame: stepFrame, steps: steps, warmup: warmup, hold: hold, coordinator: coordinator)
                    })
                case .http:
                    let (target, warmup) = (configuration.target, configuration.warmup)
                    let sessionID = configuration.httpSessions ? try await createSession(target, group: group) : nil
                    channels.append(try await connector.http {
                        HTTPLoadHandler(target: target, action: action, sessionID: sessionID, steps: steps, warmup: warmup, coordinator: coordinator)
                    })
                }
            } catch {
                coordinator.finished(ConnectionOutcome(latencies: [], errors: 1, errorSample: "connect: \(error)", refused: false))
            }
            if configuration.mode == .hold, channels.count % 100 == 0 {
                progress?("opened \(channels.count)/\(configuration.concurrency) sessions")
            }
        }
        await coordinator.waitUntilReady()
        let heldRSS = configuration.serverPID.flatMap { ProcessStats.sample(pid: $0) }?.rssBytes ?? 0

        let serverBefore = configuration.serverPID.flatMap { ProcessStats.sample(pid: $0) }
        let ownBefore = ownCPUSeconds()
        let started = NIODeadline.now()
        coordinator.startAll()
        let expected = configuration.concurrency * steps
        let reporter = progress.map { report in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    let done = coordinator.stepsDone
                    let elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
                    report("\(done)/\(expected) steps  \(Int(Double(done) / max(elapsed, 1e-9))) steps/s")
                }
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .milliseconds(Int64(configuration.maxSeconds * 1000)))
            for channel in channels { channel.close(promise: nil) }
        }
        var afterStepRSS = 0
        if configuration.mode == .hold {
            while coordinator.stepsDone < coordinator.readyCount, !watchdog.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
                if Double((NIODeadline.now() - started).nanoseconds) / 1e9 > configuration.maxSeconds { break }
            }
            afterStepRSS = configuration.serverPID.flatMap { ProcessStats.sample(pid: $0) }?.rssBytes ?? 0
            for channel in channels { WebSocketLoadHandler.closeChannel(channel) }
        }
        let (outcome, refused) = await coordinator.waitUntilFinished()
        let elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        watchdog.cancel()
        reporter?.cancel()
        let ownCPU = ownCPUSeconds() - ownBefore
        let serverAfter = configuration.serverPID.flatMap { ProcessStats.sample(pid: $0) }
        for channel in channels { channel.close(promise: nil) }

        let completed = outcome.latencies.count * perMessage
        var afterCloseRSS = 0
        if configuration.mode == .hold {
            try? await Task.sleep(for: .seconds(1))
            afterCloseRSS = configuration.serverPID.flatMap { ProcessStats.sample(pid: $0) }?.rssBytes ?? 0
        }
        var result = BenchResult(
            mode: configuration.mode, concurrency: configuration.concurrency, stepsPerSession: steps,
            completedSteps: configuration.mode == .hold ? coordinator.stepsDone : completed, seconds: elapsed,
            stepsPerSecond: Double(configuration.mode == .hold ? coordinator.stepsDone : completed) / max(elapsed, 1e-9),
            latency: LatencySummary(nanoseconds: outcome.latencies), errors: outcome.errors, errorSample: outcome.errorSample,
            refused: refused, serverCPUMillisecondsPerStep: nil, serverCores: nil, serverRSSBytes: serverAfter?.rssBytes,
            generatorCPUMillisecondsPerStep: completed > 0 ? ownCPU * 1000 / Double(completed) : 0, holdRSS: nil, action: action,
            environmentsPerMessage: perMessage)
        if let before = serverBefore, let after = serverAfter {
            let cpu = after.cpuSeconds - before.cpuSeconds
            if completed > 0 { result.serverCPUMillisecondsPerStep = cpu * 1000 / Double(completed) }
            result.serverCores = cpu / max(elapsed, 1e-9)
        }
        if configuration.mode == .hold {
            result.holdRSS = (idleRSS, heldRSS, afterStepRSS, afterCloseRSS)
        }
        return result
    }

    /// Creates an HTTP session with `openenv/session/create`.
    static func createSession(_ target: BenchTarget, group: any EventLoopGroup) async throws -> String {
        let request = JSONWriter().bytes(["jsonrpc": "2.0", "method": "openenv/session/create", "params": [:], "id": 1])
        let (_, body) = try await OneShotHTTP.request(target, method: .POST, path: "/mcp", body: request, group: group)
        guard let id = (try? JSONParser.parse(body))?["result"]?["session_id"]?.stringValue else {
            throw BenchError.badResponse("openenv/session/create: \(String(decoding: body, as: UTF8.self))")
        }
        return id
    }

    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
