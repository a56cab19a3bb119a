import Logging
import OpenEnvCore
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process spoken to over its standard input and output: an MCP server on stdio.
///
/// - It leads its own process group; whatever it starts is signalled with it. When its
///   standard output closes (it exited or crashed), the whole group is killed at once, so
///   nothing it started outlives it.
/// - Standard output arrives as ``Event``s on ``events``, framed by ``LineFramer`` as the
///   bytes come in (an event-driven read, no polling); the stream ends after
///   ``Event/exited(_:)``.
/// - Standard error is drained line by line into the log, so a chatty server never
///   blocks on a full pipe.
/// - ``send(_:)`` queues bytes for standard input; they are written in order by one
///   writer, so a server that stops reading never blocks the caller.
///
/// The first spawn sets SIGPIPE to ignored in this process, so that writing to a server
/// that has just died is an error, not the end of the host process. Children start with
/// every signal at its default (swift-subprocess resets them).
actor ServerProcess {
    enum Event: Sendable, Equatable {
        case frame(LineFramer.Frame)
        /// How the process ended (`exited(1)`, `unhandledException(9)`, …).
        case exited(String)
    }

    nonisolated let processID: Int32
    nonisolated let command: [String]
    private let input: AsyncStream<[UInt8]>.Continuation
    private let exit: Latch

    private init(processID: Int32, command: [String], input: AsyncStream<[UInt8]>.Continuation, exit: Latch) {
        self.processID = processID
        self.command = command
        self.input = input
        self.exit = exit
    }

    /// Starts `command` (looked up on `PATH` when it has no `/`) and returns once it runs.
    /// - Throws: ``MCPTransportError/unavailable(_:)`` when it cannot be started.
    static func spawn(
        _ command: [String], maxLineLength: Int, logger: Logger
    ) async throws(MCPTransportError) -> (ServerProcess, AsyncStream<Event>) {
        guard let executable = command.first, !executable.isEmpty else { throw .unavailable("empty server command") }
        _ = ignoreSIGPIPE
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group, led by the child
        let configuration = Configuration(
            executable: executable.contains("/") ? .path(.init(executable)) : .name(executable),
            arguments: Arguments(Array(command.dropFirst())), environment: .inherit, platformOptions: options)
        let (events, eventSink) = AsyncStream<Event>.makeStream()
        let (outgoing, input) = AsyncStream<[UInt8]>.makeStream()
        let exit = Latch()
        let processID: Int32
        do {
            processID = try await BackgroundProcess.launch { started in
                let result = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
                    let pid = execution.processIdentifier.value
                    started(pid)
                    var log = logger
                    log[metadataKey: "pid"] = "\(pid)"
                    let writer = execution.standardInputWriter
                    let writing = Task {
                        for await bytes in outgoing {
                            do { _ = try await writer.write(bytes) } catch { break }
                        }
                        try? await writer.finish()
                    }
                    let errorsDrained = Latch()
                    Task { [log] in
                        var lines = LineFramer(maxLength: Self.maxLogLineLength)
                        do {
                            for try await buffer in execution.standardError {
                                for frame in buffer.withUnsafeBytes({ lines.append($0) }) { Self.log(frame, to: log) }
                            }
                        } catch {
                            log.debug("standard error ended: \(error)")
                        }
                        await errorsDrained.open()
                    }
                    var framer = LineFramer(maxLength: maxLineLength)
                    do {
                        for try await buffer in execution.standardOutput {
                            for frame in buffer.withUnsafeBytes({ framer.append($0) }) { eventSink.yield(.frame(frame)) }
                        }
                    } catch {
                        log.warning("reading standard output failed: \(error)")
                    }
                    // Standard output is closed: the server is gone, or no longer speaks.
                    _ = kill(-pid, SIGKILL)
                    input.finish()
                    writing.cancel()
                    // Only a process that left the group (setsid) can still hold standard error.
                    if await !errorsDrained.wait(upTo: .seconds(1)) {
                        log.warning("standard error is still open after the server's process group was killed")
                    }
                }
                return "\(result.terminationStatus)"
            } ended: { termination in
                eventSink.yield(.exited(termination))
                await exit.open()
                eventSink.finish()
            }
        } catch {
            throw .unavailable("cannot start \(command.joined(separator: " ")): \(error)")
        }
        return (ServerProcess(processID: processID, command: command, input: input, exit: exit), events)
    }

    /// Queues `bytes` for the process's standard input.
    nonisolated func send(_ bytes: [UInt8]) {
        input.yield(bytes)
    }

    /// Ends the process: closes its standard input (the MCP way to ask a stdio server to
    /// stop), then SIGTERMs its group after `grace`, then SIGKILLs it after `grace` again;
    /// returns once it has exited (or, should a killed process somehow linger, after 5 s).
    func terminate(grace: Duration = .milliseconds(500)) async {
        input.finish()
        if await exit.wait(upTo: grace) { return }
        _ = kill(-processID, SIGTERM)
        if await exit.wait(upTo: grace) { return }
        _ = kill(-processID, SIGKILL)
        _ = await exit.wait(upTo: .seconds(5))
    }

    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Longer standard-error lines are logged as a note of their size only.
    private static let maxLogLineLength = 16 * 1024

    private static func log(_ frame: LineFramer.Frame, to logger: Logger) {
        switch frame {
        case .line(let bytes): logger.info("\(String(decoding: bytes, as: UTF8.self))", metadata: ["stream": "stderr"])
        case .oversized(let count): logger.info("(a line of more than \(count) bytes, not logged)", metadata: ["stream": "stderr"])
        }
    }
}

/// Opens once (the process exited, its standard error was drained); waiters resume then,
/// or give up after their limit.
private actor Latch {
    private var isOpen = false
    private var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextWaiter = 0

    func open() {
        isOpen = true
        for waiter in waiters.values { waiter.resume(returning: true) }
        waiters = [:]
    }

    /// `true` once open; `false` if `limit` passed first.
    func wait(upTo limit: Duration) async -> Bool {
        if isOpen { return true }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiters[id] = $0 }
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume(returning: false)
    }
}
