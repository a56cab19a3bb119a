import OpenEnvCore
import OpenEnvSandbox

/// Python code execution with state kept across steps, in a per-session sandbox.
///
/// Each session owns a ``Sandbox`` (see `OpenEnvSandbox`): its own unprivileged uid, no
/// network, a read-only system, a private writable `/work` (the current directory) and
/// `/tmp`, and limits on wall clock, CPU, memory, processes, files and output. Inside runs
/// one long-lived interpreter: variables, imports and functions persist from step to
/// step; `reset` starts a fresh interpreter over an empty `/work`.
///
/// Wire shape: exactly the reference `coding_env`'s, so its typed client (which forbids
/// extra observation fields) reads every reply: the observation is `stdout`, `stderr`,
/// `exit_code`; everything else a step reports is ``StepDetails`` in the observation's
/// `metadata`; the state is `episode_id`, `step_count`, `last_exit_code` (0 until the
/// first step).
///
/// When a step hits a limit or the interpreter dies, every process of the session is
/// killed and the step's details say why (`error`, `timed_out`, `exit_code`); the next
/// step starts a fresh interpreter over the same files.
///
/// Rewards, outside task mode: the reference's (``CodeShapingReward``): 0.0 at reset, then
/// from the code of each step alone: +0.1 for concise code, -0.2 for a syntax error,
/// -1.0 for a dangerous pattern such as `import os`.
///
/// Task mode: `reset` with option `tests` (Python source defining `test_*` functions or
/// `unittest.TestCase`s, e.g. `from solution import add`). Steps earn 0.0; a step with
/// `submit: true` stops the agent's processes, runs the tests in a fresh sandbox that
/// mounts `/work` read-only — the tests never exist inside the agent's sandbox — and ends
/// the episode with reward passed/total.
public actor CodingEnvironment: Environment {
    public static let info = EnvironmentInfo(
        name: "CodingEnvironment", envName: "coding_env",
        description: "Python code execution in a per-session sandbox; state persists across steps; optional hidden-test tasks.",
        defaultMaxSessions: 64)

    public private(set) var state = State(episodeID: nil, stepCount: 0, lastExitCode: 0)
    /// Interpreters started this episode (reported in each step's details).
    private var interpreterStarts = 0
    private let host: SandboxHost
    /// The session's sandbox (tests look up its uid and work directory).
    package nonisolated let sandbox: Sandbox
    private var hiddenTests: String?
    /// Where `reset` takes a ready sandbox from, when the server keeps a warm pool.
    private let pool: SandboxPool?

    public init(host: SandboxHost = .shared, pool: SandboxPool? = nil) {
        self.host = host
        self.pool = pool
        sandbox = Sandbox(host: host)
    }

    /// What the session's sandbox runs: the coding driver (a pool for this environment
    /// runs the same).
    public static func interpreterCommand(_ configuration: SandboxConfiguration) -> [String] {
        [configuration.pythonPath, "-I", "-c", Driver.coding.source, String(configuration.limits.outputBytes)]
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        switch options["tests"] {
        case nil, .null?: hiddenTests = nil
        case .string(let source)?: hiddenTests = source
        case let other?: throw ValidationFailure([ValidationIssue(type: "string_type", loc: ["tests"], msg: "Input should be a valid string", input: other)])
        }
        state = State(episodeID: episodeID ?? UUIDString.random(), stepCount: 0, lastExitCode: 0)
        interpreterStarts = 1
        _ = try await sandbox.startFresh(Self.interpreterCommand(host.configuration()), pool: pool)
        return StepResult(Observation(), reward: .double(0))
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> {
        if action.submit == true && hiddenTests == nil {
            throw ValidationFailure([ValidationIssue(
                type: "value_error", loc: ["submit"],
                msg: "Value error, submit needs a task: reset with the option 'tests' (Python source of the hidden tests)",
                input: true)])
        }
        state.stepCount += 1
        let limits = try await host.configuration().limits
        if !(await sandbox.isRunning) { try await startInterpreter() }
        let timeout = Self.timeout(action.timeoutS, limit: limits.wallClock)
        var observation: Observation
        var details: StepDetails
        let started = ContinuousClock.now
        switch await sandbox.call(["code": .string(action.code)], timeout: timeout, replyAs: DriverReply.self) {
        case .success(let reply):
            observation = Observation(stdout: reply.stdout, stderr: reply.stderr, exitCode: reply.exitCode)
            details = StepDetails(
                lastCode: action.code, syntaxError: reply.syntaxError, exception: reply.exception,
                durationMs: reply.durationMs, timedOut: false,
                truncated: reply.stdoutBytes > limits.outputBytes || reply.stderrBytes > limits.outputBytes,
                error: await sandbox.processLimitWarning(), interpreterStarts: interpreterStarts)
        case .failure(let failure):
            observation = Observation(exitCode: failure.exitCode)
            details = StepDetails(
                lastCode: action.code, syntaxError: false, exception: nil,
                durationMs: Self.milliseconds(ContinuousClock.now - started), timedOut: failure.reason == .timeout(timeout),
                truncated: false,
                error: "\(failure); the next step starts a fresh interpreter (variables are lost, files in /work are kept)",
                interpreterStarts: interpreterStarts)
        }
        state.lastExitCode = observation.exitCode
        guard let hiddenTests else {
            details.safetyViolation = CodeShapingReward.safetyViolation(in: action.code)
            let reward = CodeShapingReward.reward(code: action.code, syntaxError: details.syntaxError)
            return StepResult(observation, reward: .double(reward), metadata: details.metadata)
        }
        guard action.submit == true else { return StepResult(observation, reward: .double(0), metadata: details.metadata) }
        let report = await grade(hiddenTests, timeout: limits.wallClock)
        details.tests = report
        return StepResult(observation, reward: .double(report.total == 0 ? 0 : Double(report.passed) / Double(report.total)),
                          done: true, metadata: details.metadata)
    }

    public func close() async {
        await sandbox.close()
    }

    static func timeout(_ seconds: Double?, limit: Duration) -> Duration {
        guard let seconds, seconds > 0 else { return limit }
        return min(.milliseconds(Int64(seconds * 1000)), limit)
    }

    static func milliseconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    private func startInterpreter() async throws {
        _ = try await sandbox.start(Self.interpreterCommand(host.configuration()))
        interpreterStarts += 1
    }

    /// Runs the hidden tests against `/work`, read-only, in a fresh sandbox of this session.
    private func grade(_ tests: String, timeout: Duration) async -> TestReport {
        await sandbox.stop()
        do {
            let python = try await host.configuration().pythonPath
            _ = try await sandbox.start([python, "-I", "-c", Driver.grading.source], workReadOnly: true)
        } catch {
            return TestReport(passed: 0, total: 0, failed: [], error: "grading did not start: \(error)")
        }
        let result = await sandbox.call(["tests": .string(tests)], timeout: timeout, replyAs: GradingReply.self)
        await sandbox.stop()
        switch result {
        case .success(let reply):
            return TestReport(passed: reply.passed.count, total: reply.passed.count + reply.failed.count, failed: reply.failed, error: reply.error)
        case .failure(let failure):
            return TestReport(passed: 0, total: 0, failed: [], error: "grading failed: \(failure)")
        }
    }
}

extension CodingEnvironment {
    /// `coding`, as `openenv serve coding` serves it: the host must be able to build
    /// sandboxes (``SandboxHost/verify()``) before the server starts.
    public static let entry = EnvironmentEntry(
        name: "coding", kind: .typed, factory: withoutPool, preflight: { try await SandboxHost.shared.verify() },
        configure: { options in
            guard let settings = try SandboxPool.Settings(options, for: "coding") else { return withoutPool }
            let pool = SandboxPool(command: interpreterCommand(try await SandboxHost.shared.configuration()), settings: settings, label: "coding")
            return EnvironmentFactory { CodingEnvironment(pool: pool) }.onShutdown { await pool.shutdown() }
        })

    private static let withoutPool = EnvironmentFactory { CodingEnvironment() }
}
