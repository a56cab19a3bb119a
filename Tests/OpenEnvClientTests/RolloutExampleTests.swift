import Foundation
import Testing

/// The example program (Examples/Rollout) runs its rollout loop against both servers, and
/// plays the same episodes on both.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RolloutExampleTests {
    @Test func theRolloutExampleRunsTheSameOnTheSwiftAndThePythonServer() async throws {
        let example = try ExternalServers.openenvBinary().replacing("/openenv", with: "/rollout-example")
        let swift = try await run(example, ["swift", "--openenv", try ExternalServers.openenvBinary(), "--sessions", "3", "--episodes", "2"])
        let python = try await run(example, [
            "python", "--python", try ExternalServers.python(), "--script", ExternalServers.repository + "/Tests/Interop/reference_env.py",
            "--sessions", "3", "--episodes", "2",
        ])
        let rounds = { (output: String) in output.split(separator: "\n").filter { $0.hasPrefix("round ") } }
        #expect(rounds(swift).count == 2)
        #expect(rounds(swift).allSatisfy { $0.contains("return 1.0") })
        #expect(rounds(swift) == rounds(python))
    }

    /// Runs a program to its end without blocking a thread; returns what it printed.
    private func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try handle.close()
        let output = try String(contentsOf: log, encoding: .utf8)
        guard status == 0 else { throw TestFailure("\(executable) \(arguments) failed:\n\(output)") }
        return output
    }
}
