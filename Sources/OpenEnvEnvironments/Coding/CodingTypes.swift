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

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var stdout: String
        public var stderr: String
        /// 0 on success, 1 for an uncaught exception, N for `SystemExit(N)`; when the
        /// sandbox killed the interpreter: 124 (wall clock), 137 (memory), 152 (CPU time),
        /// or 128 + the signal that ended it.
        public var exitCode: Int
        public var exception: PythonException?
        public var durationMs: Double
        public var timedOut: Bool
        /// Output was longer than the limit; the middle was replaced by a marker.
        public var truncated: Bool
        /// What the sandbox did, when it had to step in (a limit, a crash); the next step
        /// then starts a fresh interpreter: variables are lost, files in /work are kept.
        public var error: String?
        /// Task mode, on submit.
        public var tests: TestReport?

        public static var schemaTitle: String { "CodeObservation" }
        public static var schemaDescription: String? { "The result of running one code step." }
        public static var propertyDescriptions: [String: String] {
            ["stdout": "Standard output of the step (Python and subprocesses)",
             "stderr": "Standard error of the step, including a traceback",
             "exit_code": "0 success, 1 exception, N for SystemExit(N); 124/137/152 when a limit killed the interpreter",
             "exception": "The exception that escaped the code, if any",
             "duration_ms": "Wall-clock time of the step",
             "timed_out": "The step hit its wall-clock limit and was killed",
             "truncated": "Some output was cut to the output limit",
             "error": "What the sandbox did when a limit was hit or the interpreter died",
             "tests": "Hidden test results (task mode, on submit)"]
        }

        static let empty = Observation(
            stdout: "", stderr: "", exitCode: 0, exception: nil, durationMs: 0, timedOut: false, truncated: false,
            error: nil, tests: nil)
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var lastExitCode: Int?
        /// Interpreters started this episode (1 + restarts after kills).
        public var interpreterStarts: Int
        /// The episode has hidden tests.
        public var taskMode: Bool
        public static var schemaTitle: String { "CodeState" }
        public static var schemaDescription: String? { "Episode state of the coding environment." }
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
    }

    /// The grading driver's reply.
    struct GradingReply: Decodable {
        var passed: [String]
        var failed: [String]
        var error: String?
    }
}
