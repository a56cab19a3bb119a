import Logging
import OpenEnvCore
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server process started by ``LocalProcessProvider``.
///
/// The process leads its own process group, so everything it starts (workers, shells)
/// is signalled with it. When the process exits, on its own or because it crashed, the
/// rest of its group is killed at once; ``stop()`` sends SIGTERM to the group, waits up
/// to the grace period, then SIGKILLs it. Its output is forwarded line by line to the
/// logger, and the last lines are kept for error messages.
///
/// The group is not tied to this process's life: if this process is killed before
/// ``stop()`` runs, the server keeps running (Linux's parent-death signal cannot be set
/// through `posix_spawn`).
public actor LocalServerProcess: RunningServer {
    public nonisolated let address: ServerAddress
    /// The command line that was started.
    public nonisolated let command: [String]
    /// The process id, which is also its process group id.
    public nonisolated let processID: Int32
    private let stopGracePeriod: Duration
    private let logger: Logger
    private var exitStatus: String?
    private var tail: [String] = []
    private static let tailLength = 40

    private enum Event: Sendable {
        case line(String)
        case exited(String)
    }

    private init(address: ServerAddress, command: [String], processID: Int32, stopGracePeriod: Duration, logger: Logger) {
        self.address = address
        self.command = command
        self.processID = processID
        self.stopGracePeriod = stopGracePeriod
        self.logger = logger
    }

    /// Starts the process and returns once it runs. Throws
    /// ``ProviderError/launchFailed(command:reason:)`` when it cannot be started.
    static func spawn(
        executable: String, arguments: [String], environment: [String: String], workingDirectory: String?,
        address: ServerAddress, stopGracePeriod: Duration, logger: Logger
    ) async throws(ProviderError) -> LocalServerProcess {
        let command = [executable] + arguments
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group, led by the child
        var variables: [Subprocess.Environment.Key: String?] = [:]
        for (name, value) in environment {
            guard let key = Subprocess.Environment.Key(rawValue: name) else {
                throw .launchFailed(command: command, reason: "invalid environment variable name \(name)")
            }
            variables[key] = value
        }
        let configuration = Configuration(
            executable: executable.contains("/") ? .path(.init(executable)) : .name(executable),
            arguments: Arguments(arguments), environment: .inherit.updating(variables),
            workingDirectory: workingDirectory.map { .init($0) }, platformOptions: options)

        let (events, sink) = AsyncStream<Event>.makeStream()
        let processID: Int32
        do {
            processID = try await BackgroundProcess.launch { started in
                let result = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .combinedWithOutput) { execution in
                    started(execution.processIdentifier.value)
                    for try await line in execution.standardOutput.strings(bufferingPolicy: .unbounded) {
                        sink.yield(.line(line))
                    }
                }
                return "\(result.terminationStatus)"
            } ended: { termination in
                sink.yield(.exited(termination))
                sink.finish()
            }
        } catch {
            throw .launchFailed(command: command, reason: "\(error)")
        }
        let process = LocalServerProcess(address: address, command: command, processID: processID, stopGracePeriod: stopGracePeriod, logger: logger)
        logger.info("started server process", metadata: ["pid": "\(processID)", "command": "\(command.joined(separator: " "))"])
        Task {
            for await event in events { await process.handle(event) }
        }
        return process
    }

    /// Whether the process has exited.
    public var hasExited: Bool { exitStatus != nil }

    /// How the process ended (`exited(0)`, `unhandledException(9)`…), or `nil` while it runs.
    public var termination: String? { exitStatus }

    /// The last lines the process printed (standard output and error together).
    public var recentOutput: String { tail.joined(separator: "\n") }

    /// Waits until the process has exited, however long that takes.
    public func waitForExit() async {
        while exitStatus == nil {
            guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return }
        }
    }

    public func stop() async {
        guard exitStatus == nil else { return }
        signalGroup(SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + stopGracePeriod
        while exitStatus == nil, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if exitStatus == nil {
            logger.warning("server did not stop in time; killing its process group", metadata: ["pid": "\(processID)"])
            signalGroup(SIGKILL)
            await waitForExit()
        }
    }

    private func handle(_ event: Event) {
        switch event {
        case .line(let line):
            logger.info("\(line)", metadata: ["pid": "\(processID)"])
            tail.append(line)
            if tail.count > Self.tailLength { tail.removeFirst(tail.count - Self.tailLength) }
        case .exited(let status):
            // Whatever the process left behind in its group goes with it.
            signalGroup(SIGKILL)
            exitStatus = status
            logger.info("server process ended", metadata: ["pid": "\(processID)", "status": "\(status)"])
        }
    }

    private func signalGroup(_ signal: Int32) {
        _ = kill(-processID, signal)
    }
}
