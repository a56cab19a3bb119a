import OpenEnvCore

extension CodingEnvironment {
    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        public var code: String
        /// Task mode: after running `code`, grade the work directory with the hidden tests
        /// and end the episode.
        public var submit: Bool?
        /// Wall-clock limit of this step in seconds, at most the server's (default 30).
        public var timeoutS: Double?

        public init(code: String, submit: Bool? = nil, timeoutS: Double? = nil) {
            self.code = code
            self.submit = submit
            self.timeoutS = timeoutS
        }

        public static var schemaTitle: String { "CodeAction" }
        public static var schemaDescription: String? { "Python code to run in the session's persistent interpreter." }
        public static var propertyDescriptions: [String: String] {
            ["code": "Python source, executed in the namespace kept since the last reset",
             "submit": "Task mode: grade /work with the hidden tests after this code and end the episode",
             "timeout_s": "Wall-clock limit of this step in seconds (capped by the server's limit)"]
        }
    }

    /// A Python exception that escaped the code.
    public struct PythonException: Codable, Sendable, Equatable {
        public var type: String
        public var message: String
    }

    /// The hidden tests' verdict on a submission.
    public struct TestReport: Codable, Sendable, Equatable {
        public var passed: Int
        public var total: Int
        /// Names of the tests that failed.
        public var failed: [String]
        /// Why grading itself failed (tests did not load, a crash, a timeout).
        public var error: String?
    }

    /// The reference `coding_env`'s `CodeObservation`, field for field: its typed client
    /// builds `CodeObservation(**observation)` with extra fields forbidden, so everything
    /// else a step reports travels in the observation's `metadata` (see ``StepDetails``).
    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var stdout: String
        public var stderr: String
        /// 0 on success, 1 for an uncaught exception (a syntax error too), N for
        /// `SystemExit(N)`; when the sandbox killed the interpreter: 124 (wall clock), 137
        /// (memory), 152 (CPU time), or 128 + the signal that ended it.
        public var exitCode: Int

        public init(stdout: String = "", stderr: String = "", exitCode: Int = 0) {
            self.stdout = stdout
            self.stderr = stderr
            self.exitCode = exitCode
        }

        public static var schemaTitle: String { "CodeObservation" }
        public static var schemaDescription: String? { "Result of executing code in the environment." }
        public static var propertyDescriptions: [String: String] {
            ["stdout": "Standard output of the step (Python and subprocesses)",
             "stderr": "Standard error of the step, including a traceback",
             "exit_code": "0 success, 1 exception, N for SystemExit(N); 124/137/152 when a limit killed the interpreter"]
        }
    }

    /// What a step reports beyond the reference's three fields, in the observation's
    /// `metadata` (and the reply's top-level `metadata`), snake_case keys; members that are
    /// `nil` are left out. `last_code` and `safety_violation` are the reference's own metadata
    /// keys. Read it back with ``init(metadata:)``.
    public struct StepDetails: Codable, Sendable, Equatable {
        /// The code of the step (the reference's key).
        public var lastCode: String
        /// The first dangerous pattern found in the code, as the reference names it (e.g.
        /// `import\s+os`); only outside task mode, where it costs reward.
        public var safetyViolation: String?
        /// The code did not parse (`SyntaxError`).
        public var syntaxError: Bool
        /// The exception that escaped the code, if any.
        public var exception: PythonException?
        public var durationMs: Double
        /// The step hit its wall-clock limit and was killed.
        public var timedOut: Bool
        /// Output was longer than the limit; the middle was replaced by a marker.
        public var truncated: Bool
        /// What the sandbox did, when it had to step in (a limit, a crash); the next step
        /// then starts a fresh interpreter: variables are lost, files in /work are kept.
        public var error: String?
        /// Interpreters started this episode (1 + restarts after kills).
        public var interpreterStarts: Int
        /// Task mode, on submit: the hidden tests' verdict.
        public var tests: TestReport?

        /// Decodes the details from a step's `metadata` (unknown keys are ignored).
        public init(metadata: JSONObject) throws(ValidationFailure) {
            self = try JSONValueDecoder(forbidExtraKeys: false).decode(Self.self, from: .object(metadata))
        }

        init(lastCode: String, syntaxError: Bool, exception: PythonException?, durationMs: Double, timedOut: Bool,
             truncated: Bool, error: String?, interpreterStarts: Int) {
            self.lastCode = lastCode
            self.syntaxError = syntaxError
            self.exception = exception
            self.durationMs = durationMs
            self.timedOut = timedOut
            self.truncated = truncated
            self.error = error
            self.interpreterStarts = interpreterStarts
        }

        var metadata: JSONObject {
            guard case .object(let object)? = try? JSONValueEncoder().encode(self) else { return [:] }
            var metadata = JSONObject()
            for member in object where !member.value.isNull { metadata[member.key] = member.value }
            return metadata
        }
    }

    /// The reference `coding_env`'s `CodeState`: `last_exit_code` is an integer, 0 until the
    /// first step.
    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var lastExitCode: Int
        public static var schemaTitle: String { "CodeState" }
        public static var schemaDescription: String? { "State for CodeAct environment with persistent execution context." }
    }

    /// The driver's reply to one code request.
    struct DriverReply: Decodable {
        var stdout: String
        var stdoutBytes: Int
        var stderr: String
        var stderrBytes: Int
        var exitCode: Int
        var exception: PythonException?
        var durationMs: Double
        /// The code did not parse (`ast.parse`'s `SyntaxError`).
        var syntaxError: Bool
    }

    /// The grading driver's reply.
    struct GradingReply: Decodable {
        var passed: [String]
        var failed: [String]
        var error: String?
    }
}
