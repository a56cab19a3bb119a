import Logging
import OpenEnvClient
import Foundation

/// Where the processes that tests start come from.
enum ExternalServers {
    /// The repository root (this file is Tests/OpenEnvClientTests/Support/ExternalServers.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The Python that has `openenv==0.10.0` installed: `$OPENENV_INTEROP_PYTHON`
    /// (scripts/test sets it). Tests that need it fail, never skip, without it.
    static func python() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["OPENENV_INTEROP_PYTHON"], !python.isEmpty else {
            throw TestFailure("""
                OPENENV_INTEROP_PYTHON is not set: this test drives the official Python OpenEnv server \
                (Tests/Interop/reference_env.py) and needs a Python with openenv==0.10.0. Run scripts/test, \
                or set OPENENV_INTEROP_PYTHON=$(scripts/interop-venv | tail -n 1).
                """)
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestFailure("OPENENV_INTEROP_PYTHON=\(python) is not an executable file")
        }
        return python
    }

    /// The official Python server (`reference_env.py --env echo|grid`) as a provider.
    static func python(_ env: String, maxSessions: Int = 8, port: Int? = nil) throws -> LocalProcessProvider {
        LocalProcessProvider(
            executable: try python(),
            arguments: [repository + "/Tests/Interop/reference_env.py", "--env", env, "--host", "{host}", "--port", "{port}",
                        "--max-sessions", String(maxSessions)],
            port: port, readinessTimeout: .seconds(60), logger: quietLogger)
    }

    /// The `openenv` CLI built next to the test bundle (or `$OPENENV_BIN`).
    static func openenvBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["OPENENV_BIN"], !path.isEmpty { return path }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let path = executable.deletingLastPathComponent().appendingPathComponent("openenv").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("no openenv binary at \(path): build it (swift build) or set OPENENV_BIN")
        }
        return path
    }

    /// `openenv serve <env>` as a provider.
    static func openenv(_ env: String, arguments: [String] = []) throws -> LocalProcessProvider {
        var provider = LocalProcessProvider.openenv(serving: env, executable: try openenvBinary(), arguments: arguments)
        provider.logger = quietLogger
        provider.readinessTimeout = .seconds(30)
        return provider
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test.provider")
        logger.logLevel = .error
        return logger
    }
}
