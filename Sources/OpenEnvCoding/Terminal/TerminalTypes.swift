import OpenEnvCore

extension TerminalEnvironment {
    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        /// Shell input run as if typed at the prompt (may span lines).
        public var command: String?
        /// Raw keystrokes for the program in the foreground (`"\u0003"` is Ctrl-C).
        public var keys: String?
        /// Wall-clock limit of this step in seconds, at most the server's (default 30).
        public var timeoutS: Double?
        /// `keys` only: return once output has been quiet this long (default 0.5 s).
        public var idleS: Double?

        public init(command: String? = nil, keys: String? = nil, timeoutS: Double? = nil, idleS: Double? = nil) {
            self.command = command
            self.keys = keys
            self.timeoutS = timeoutS
            self.idleS = idleS
        }

        public static var schemaTitle: String { "TerminalAction" }
        public static var schemaDescription: String? { "A shell command, or raw keystrokes; exactly one of the two." }
        public static var propertyDescriptions: [String: String] {
            ["command": "Shell input run at the prompt, as if typed; may span lines",
             "keys": "Raw keystrokes for the foreground program (e.g. \"\\u0003\" for Ctrl-C)",
             "timeout_s": "Wall-clock limit of this step in seconds (capped by the server's limit)",
             "idle_s": "keys only: return once output has been quiet this many seconds (default 0.5)"]
        }
    }

    /// How a step ended.
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// The shell prompted again; `exit_code` and `cwd` are set.
        case completed
        /// The wall-clock limit passed: the foreground process group got SIGINT, then SIGKILL.
        case timeout
        /// keys: output went quiet with a program still in the foreground.
        case running
        /// keys: the shell waits for the rest of a command.
        case incomplete
        /// The shell exited (`exit_code` is its status); the next step starts a new one.
        case exited
        /// A command arrived while a program holds the terminal; send `keys` instead.
        case busy
        /// The sandbox killed the session's processes (see `error`); the next step starts
        /// a new shell over the same files.
        case killed
    }

    public struct Observation: Codable, Sendable, Equatable, JSONSchemaDescribed {
        public var output: String
        public var status: Status
        public var exitCode: Int?
        /// The shell's working directory at its last prompt.
        public var cwd: String?
        public var durationMs: Double
        /// Output was longer than the limit; the middle was replaced by a marker.
        public var truncated: Bool
        /// A new shell was started for this step (after an exit or a kill): cwd and shell
        /// variables were reset.
        public var shellStarted: Bool
        public var error: String?

        public static var schemaTitle: String { "TerminalObservation" }
        public static var schemaDescription: String? { "Terminal output of one step and how it ended." }
        public static var propertyDescriptions: [String: String] {
            ["output": "What the terminal printed (stdout and stderr interleaved), prompt markers removed",
             "status": "completed, timeout, running, incomplete, exited, busy or killed",
             "exit_code": "Status of the last command (set when the shell prompted or exited)",
             "cwd": "Working directory at the last prompt", "duration_ms": "Wall-clock time of the step",
             "truncated": "Some output was cut to the output limit",
             "shell_started": "A new shell was started for this step (cwd and variables reset)",
             "error": "What the sandbox did when a limit was hit or the session died"]
        }
    }

    public struct State: EnvironmentState, Equatable, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var cwd: String?
        public var lastExitCode: Int?
        public static var schemaTitle: String { "TerminalState" }
        public static var schemaDescription: String? { "Episode state of the terminal environment." }
    }

    /// The driver's reply to one request.
    struct DriverReply: Decodable {
        var output: String
        var outputBytes: Int
        var status: Status
        var exitCode: Int?
        var cwd: String?
        var durationMs: Double
        var shellStarted: Bool
    }

    /// The driver's greeting.
    struct Greeting: Decodable {
        var ready: Bool
        var cwd: String
    }
}
