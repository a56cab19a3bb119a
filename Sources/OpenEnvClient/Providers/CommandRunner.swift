import Subprocess

/// Runs a short command to completion and collects what it printed, bounded in time
/// (swift-subprocess has no timeout of its own: the run races a sleep and is cancelled,
/// which kills the process).
enum CommandRunner {
    struct Outcome: Sendable {
        var succeeded: Bool
        var status: String
        var output: String
        var errorOutput: String
    }

    /// Throws ``ProviderError/launchFailed(command:reason:)`` when the command cannot be
    /// started or does not finish within `timeout`.
    static func run(_ command: [String], timeout: Duration) async throws(ProviderError) -> Outcome {
        guard let executable = command.first else { throw .launchFailed(command: command, reason: "empty command") }
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(1))]
        let configuration = Configuration(
            executable: executable.contains("/") ? .path(.init(executable)) : .name(executable),
            arguments: Arguments(Array(command.dropFirst())), platformOptions: options)
        do {
            return try await withThrowingTaskGroup(of: Outcome?.self) { group in
                group.addTask {
                    let result = try await Subprocess.run(configuration, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
                    return Outcome(
                        succeeded: result.terminationStatus.isSuccess, status: "\(result.terminationStatus)",
                        output: result.standardOutput, errorOutput: result.standardError)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let first else { throw ProviderError.launchFailed(command: command, reason: "did not finish within \(timeout)") }
                return first
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw .launchFailed(command: command, reason: "\(error)")
        }
    }
}
