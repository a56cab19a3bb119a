import Foundation
import OpenEnvCore

/// A policy in any language: a command that reads one JSON line per decision on stdin —
/// `{"episode_id", "step", "observation", "reward", "done"}` — and answers one line on
/// stdout: the action as JSON, or `null` to end the episode. One process serves a
/// worker's episodes one after another; it is stopped (SIGTERM, then SIGKILL) when the
/// policy is released or the collection ends.
public final class ScriptedPolicy: Policy, @unchecked Sendable {
    // @unchecked: `process` and the pipes are used by one episode at a time (a worker's),
    // and the line reader is its own thread; `stop()` may run concurrently and only
    // signals the process.
    private let process: Process
    private let input: FileHandle
    private let lines: LineReader
    private let replyTimeout: Duration
    private let command: [String]

    /// Starts `command` (looked up on `PATH` when it has no slash).
    public init(command: [String], replyTimeout: Duration = .seconds(30)) throws {
        guard let executable = command.first else { throw PolicyError.badCommand("the scripted policy needs a command") }
        self.command = command
        self.replyTimeout = replyTimeout
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + command.dropFirst()
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { throw PolicyError.badCommand("cannot start \(command.joined(separator: " ")): \(error)") }
        input = stdin.fileHandleForWriting
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let reader = stdout.fileHandleForReading
        Thread.detachNewThread {
            var buffer: [UInt8] = []
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                for byte in chunk {
                    if byte == UInt8(ascii: "\n") {
                        continuation.yield(String(decoding: buffer, as: UTF8.self))
                        buffer.removeAll(keepingCapacity: true)
                    } else {
                        buffer.append(byte)
                    }
                }
            }
            continuation.finish()
        }
        lines = LineReader(stream)
    }

    deinit { stop() }

    /// Ends the policy process.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { kill(pid, SIGKILL) }
    }

    public func act(_ input: PolicyInput) async throws -> JSONValue? {
        let request: JSONValue = ["episode_id": .string(input.episodeID), "step": .int(input.step), "observation": .object(input.observation),
                                  "reward": input.reward?.jsonValue ?? .null, "done": .bool(input.done)]
        var bytes = JSONWriter().bytes(request)
        bytes.append(UInt8(ascii: "\n"))
        do { try self.input.write(contentsOf: bytes) } catch { throw PolicyError.processEnded(command.joined(separator: " ")) }
        let box = lines
        let line = try await withDeadline(replyTimeout, { await box.next() }) {
            PolicyError.timeout("the policy command did not answer within \(self.replyTimeout)")
        }
        guard let line else { throw PolicyError.processEnded(command.joined(separator: " ")) }
        do {
            let action = try JSONParser.parse(line)
            return action.isNull ? nil : action
        } catch {
            throw PolicyError.badReply("the policy command printed \(line.prefix(200)): \(error)")
        }
    }
}

/// The policy process's stdout, line by line; one `next()` is in flight at a time.
private final class LineReader: @unchecked Sendable {
    // @unchecked: only one `next()` runs at a time (a worker makes one decision at a time).
    private var iterator: AsyncStream<String>.AsyncIterator
    init(_ stream: AsyncStream<String>) { iterator = stream.makeAsyncIterator() }
    func next() async -> String? { await iterator.next() }
}

/// Why a policy could not choose an action.
public enum PolicyError: Error, CustomStringConvertible, Equatable {
    case badCommand(String)
    case processEnded(String)
    case timeout(String)
    case badReply(String)

    public var description: String {
        switch self {
        case .badCommand(let m), .timeout(let m), .badReply(let m): m
        case .processEnded(let command): "the policy command \(command) ended"
        }
    }
}
