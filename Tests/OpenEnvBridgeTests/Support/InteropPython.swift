import Foundation
import Logging
import OpenEnvBridge

/// The Python of the interop venv, where the MCP servers these tests bridge are installed
/// (`mcp-server-time`, `mcp-server-git`, pinned in Tests/Interop/requirements.txt).
enum InteropPython {
    /// `$OPENENV_INTEROP_PYTHON` (scripts/test sets it). Tests that need it fail, never skip, without it.
    static func path() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["OPENENV_INTEROP_PYTHON"], !python.isEmpty else {
            throw BridgeTestFailure("""
                OPENENV_INTEROP_PYTHON is not set: this test bridges real MCP servers (mcp-server-time, mcp-server-git) \
                installed in the interop venv. Run scripts/test, or set \
                OPENENV_INTEROP_PYTHON=$(scripts/interop-venv | tail -n 1) (locally: .venv-interop/bin/python).
                """)
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw BridgeTestFailure("OPENENV_INTEROP_PYTHON=\(python) is not an executable file")
        }
        return python
    }

    /// `python -m <module> <arguments…>` as a bridge configuration.
    static func module(_ module: String, _ arguments: [String] = [], toolTimeout: Duration = .seconds(30)) throws -> MCPBridgeConfiguration {
        MCPBridgeConfiguration(server: .command([try path(), "-m", module] + arguments), toolTimeout: toolTimeout)
    }

    /// A Python script written once per test process to the temporary directory.
    static func script(_ source: String, named name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-bridge-\(name)-\(getpid()).py").path
        if !FileManager.default.fileExists(atPath: path) { try source.write(toFile: path, atomically: true, encoding: .utf8) }
        return path
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test.mcp-bridge")
        logger.logLevel = .critical
        return logger
    }
}

struct BridgeTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
