import Foundation
import OpenEnvValidation
import Synchronization

/// A Swift environment package built and served from its directory, for `validate --serve`:
/// `swift build --product EXE`, then `EXE serve --host 127.0.0.1 --port 0`, until ``stop()``.
final class PackageServer {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let url: String
    private let process: Process

    private init(url: String, process: Process) {
        self.url = url
        self.process = process
    }

    /// Builds and starts the package's executable (the first word of the manifest's `app`,
    /// else its name); `scratchPath` is passed to `swift build`.
    static func start(package directory: String, scratchPath: String?, maxSessions: Int) throws -> PackageServer {
        let manifest = try Manifest.load(directory: directory)
        let executable = ContainerBuild.executable(manifest)
        guard FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("Package.swift")) else {
            throw Failure(description: "--serve needs a Swift package (no Package.swift in \(directory))")
        }
        var build = ["build", "--package-path", directory, "--product", executable]
        if let scratchPath { build += ["--scratch-path", scratchPath] }
        FileHandle.standardError.write(Data("openenv: swift \(build.joined(separator: " "))\n".utf8))
        let (status, output) = ContainerBuild.run("swift", build, timeout: 3600)
        guard status == 0 else {
            throw Failure(description: "swift build failed (exit \(status)):\n" + output.split(separator: "\n").suffix(20).joined(separator: "\n"))
        }
        let (_, binPath) = ContainerBuild.run("swift", build.filter { $0 != "--product" && $0 != executable } + ["--show-bin-path"], timeout: 600)
        let binary = (binPath.trimmingCharacters(in: .whitespacesAndNewlines) as NSString).appendingPathComponent(executable)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--max-sessions", String(maxSessions), "--log-level", "warning"]
        let errors = Pipe()
        let listening = Flag()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // A server that neither starts nor exits within a minute is stopped (its output then ends).
        let pid = process.processIdentifier
        Task.detached {
            try? await Task.sleep(for: .seconds(60))
            if !listening.value.load(ordering: .relaxed) { kill(pid, SIGTERM) }
        }
        // The server prints "<program>: listening on http://HOST:PORT …" once it accepts connections.
        var buffer = Data()
        while true {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the server exited
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"listening on (http://\S+)"#, options: .regularExpression) {
                listening.value.store(true, ordering: .relaxed)
                // Keep reading what it logs, so it never blocks on a full pipe.
                errors.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
                return PackageServer(url: String(text[range].dropFirst("listening on ".count)), process: process)
            }
        }
        process.terminate()
        throw Failure(description: "\(binary) serve did not start: \(String(decoding: buffer, as: UTF8.self).suffix(2000))")
    }

    /// Whether the server said it listens (read by the start-up deadline's task).
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Stops the server (SIGTERM) and waits for it.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
