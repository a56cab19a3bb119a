import Foundation

/// Why a call into a sandbox produced no reply. Every process of the session has been
/// killed by the time a failure is returned; the work directory is kept.
public struct SandboxFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The call exceeded its wall-clock limit.
        case timeout(Duration)
        /// The kernel OOM-killed a process: the session's memory limit was reached.
        case outOfMemory(limitBytes: Int)
        /// A process reached RLIMIT_CPU.
        case cpuTimeLimit(seconds: Int)
        /// The sandboxed program ended on its own (exit, crash, signal from inside).
        case ended(ExitStatus?)
        /// It wrote something that is not a protocol message (or an overlong line).
        case protocolViolation(String)
        /// The caller was cancelled (e.g. the server's step deadline).
        case cancelled
        /// The sandbox could not be started.
        case notStarted(String)
    }

    public var reason: Reason
    /// The session's process limit was hit during the call (e.g. a fork bomb).
    public var processLimitReached = false
    public var processLimit = 0
    /// The end of the sandbox's standard error (bwrap's messages, a crash report).
    public var diagnostics = ""

    public init(_ reason: Reason, processLimitReached: Bool = false, processLimit: Int = 0, diagnostics: String = "") {
        self.reason = reason
        self.processLimitReached = processLimitReached
        self.processLimit = processLimit
        self.diagnostics = diagnostics
    }

    /// A shell-style status for the failure: 124 for the wall clock (as `timeout(1)`),
    /// 137 for SIGKILL (memory, cancellation), 152 for SIGXCPU, the program's own status
    /// or 128 + its signal when it ended, 1 otherwise.
    public var exitCode: Int {
        switch reason {
        case .timeout: 124
        case .outOfMemory, .cancelled: 137
        case .cpuTimeLimit: 128 + Int(SIGXCPU)
        case .ended(.exited(let code)?): Int(code)
        case .ended(.signalled(let signal)?): 128 + Int(signal)
        case .ended(nil), .protocolViolation, .notStarted: 1
        }
    }

    public var description: String {
        var text: String
        switch reason {
        case .timeout(let limit):
            text = "exceeded the wall-clock limit of \(Self.seconds(limit)); every process of the session was killed"
        case .outOfMemory(let bytes):
            text = "killed by the kernel: the session's memory limit of \(bytes >> 20) MiB was reached"
        case .cpuTimeLimit(let seconds):
            text = "killed: a process reached the CPU time limit of \(seconds) s"
        case .ended(let status?):
            text = "the sandboxed program ended unexpectedly (\(status)); every process of the session was killed"
        case .ended(nil):
            text = "the sandboxed program closed its channel; every process of the session was killed"
        case .protocolViolation(let what):
            text = "the sandboxed program broke the protocol (\(what)); every process of the session was killed"
        case .cancelled:
            text = "the call was cancelled; every process of the session was killed"
        case .notStarted(let why):
            text = why
        }
        if processLimitReached { text += " (the session's limit of \(processLimit) processes was reached)" }
        return text
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        let value = Double(s) + Double(atto) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
