import OpenEnvCore
import OpenEnvSandbox

/// A persistent interactive shell per episode, in a per-session sandbox.
///
/// Each session owns a ``Sandbox`` (see `OpenEnvSandbox`, same isolation and limits as
/// the coding environment); inside, one bash runs on a pseudo-terminal, so the working
/// directory, variables, functions and background jobs persist across steps. A step sends
/// a `command` (run as if typed at the prompt) or raw `keys`, and returns the output
/// until the next prompt, with the exit code and working directory. A step that passes
/// its wall-clock limit interrupts the foreground process group (SIGINT, then SIGKILL),
/// keeping the shell. `exit` ends the episode (`done`); `reset` gives a new shell over an
/// empty `/work`.
public actor TerminalEnvironment: Environment {
    public static let info = EnvironmentInfo(
        name: "TerminalEnvironment", envName: "terminal_env",
        description: "A persistent bash session on a pseudo-terminal in a per-session sandbox.",
        defaultMaxSessions: 64)

    /// Extra time the driver gets beyond a step's limit to interrupt and report, before
    /// the sandbox kills the whole session.
    static let grace = Duration.seconds(5)

    public private(set) var state = State(episodeID: nil, stepCount: 0, cwd: nil, lastExitCode: nil)
    private let host: SandboxHost
    /// The session's sandbox (tests look up its uid and work directory).
    package nonisolated let sandbox: Sandbox
    /// Where `reset` takes a ready sandbox from, when the server keeps a warm pool.
    private let pool: SandboxPool?

    public init(host: SandboxHost = .shared, pool: SandboxPool? = nil) {
        self.host = host
        self.pool = pool
        sandbox = Sandbox(host: host)
    }

    /// What the session's sandbox runs: the terminal driver and its shell (a pool for this
    /// environment runs the same).
    public static func shellCommand(_ configuration: SandboxConfiguration) -> [String] {
        [configuration.pythonPath, "-I", "-c", Driver.terminal.source, String(configuration.limits.outputBytes)]
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        state = State(episodeID: episodeID ?? UUIDString.random(), stepCount: 0, cwd: nil, lastExitCode: nil)
        state.cwd = try Self.cwd(greeting: await sandbox.startFresh(Self.shellCommand(host.configuration()), pool: pool))
        return StepResult(Observation(output: "", status: .completed, exitCode: nil, cwd: state.cwd, durationMs: 0,
                                      truncated: false, shellStarted: true, error: nil))
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> {
        guard (action.command == nil) != (action.keys == nil) else {
            throw ValidationFailure([ValidationIssue(
                type: "value_error", loc: [], msg: "Value error, exactly one of 'command' and 'keys' must be given",
                input: .object(["command": action.command.map(JSONValue.string) ?? .null, "keys": action.keys.map(JSONValue.string) ?? .null]))])
        }
        state.stepCount += 1
        let limits = try await host.configuration().limits
        var shellStarted = false
        if !(await sandbox.isRunning) {
            state.cwd = try await startShell()
            shellStarted = true
        }
        let timeout = CodingEnvironment.timeout(action.timeoutS, limit: limits.wallClock)
        var request: JSONObject = ["timeout": .double(CodingEnvironment.milliseconds(timeout) / 1000)]
        if let command = action.command { request["command"] = .string(command) }
        if let keys = action.keys {
            request["keys"] = .string(keys)
            request["idle"] = .double(action.idleS.map { max(0.01, $0) } ?? 0.5)
        }
        let started = ContinuousClock.now
        var observation: Observation
        switch await sandbox.call(.object(request), timeout: timeout + Self.grace, replyAs: DriverReply.self) {
        case .success(let reply):
            observation = Observation(
                output: reply.output, status: reply.status, exitCode: reply.exitCode, cwd: reply.cwd ?? state.cwd,
                durationMs: reply.durationMs, truncated: reply.outputBytes > limits.outputBytes,
                shellStarted: shellStarted || reply.shellStarted, error: await sandbox.processLimitWarning())
        case .failure(let failure):
            observation = Observation(
                output: "", status: .killed, exitCode: failure.exitCode, cwd: state.cwd,
                durationMs: CodingEnvironment.milliseconds(ContinuousClock.now - started), truncated: false,
                shellStarted: shellStarted,
                error: "\(failure); the next step starts a new shell (cwd and variables are reset, files in /work are kept)")
        }
        if observation.status == .completed || observation.status == .exited || observation.status == .timeout {
            state.lastExitCode = observation.exitCode
        }
        state.cwd = observation.cwd
        return StepResult(observation, done: observation.status == .exited)
    }

    public func close() async {
        await sandbox.close()
    }

    /// Starts the driver and its shell; returns the shell's first working directory.
    private func startShell() async throws -> String {
        try Self.cwd(greeting: await sandbox.start(Self.shellCommand(host.configuration())))
    }

    private static func cwd(greeting: JSONObject) throws -> String {
        try JSONValueDecoder(forbidExtraKeys: false).decode(Greeting.self, from: .object(greeting)).cwd
    }
}

extension TerminalEnvironment {
    /// `terminal`, as `openenv serve terminal` serves it: the host must be able to build
    /// sandboxes (``SandboxHost/verify()``) before the server starts.
    public static let entry = EnvironmentEntry(
        name: "terminal", kind: .typed, factory: withoutPool, preflight: { try await SandboxHost.shared.verify() },
        configure: { options in
            guard let settings = try SandboxPool.Settings(options, for: "terminal") else { return withoutPool }
            let pool = SandboxPool(command: shellCommand(try await SandboxHost.shared.configuration()), settings: settings, label: "terminal")
            return EnvironmentFactory { TerminalEnvironment(pool: pool) }.onShutdown { await pool.shutdown() }
        })

    private static let withoutPool = EnvironmentFactory { TerminalEnvironment() }
}
