import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenEnvCore
import Testing

/// Parquet files written by pyarrow for these tests (Fixtures/write_parquet.py), made once
/// per test run with the Python of `OPENENV_INTEROP_PYTHON` (the interop venv, which
/// pins pyarrow; scripts/test sets the variable).
enum PyarrowFixtures {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let directory: Result<String, Failure> = {
        guard let python = ProcessInfo.processInfo.environment["OPENENV_INTEROP_PYTHON"], !python.isEmpty else {
            return .failure(Failure(description: """
                OPENENV_INTEROP_PYTHON is not set: the Parquet tests write their files with pyarrow. \
                Run `export OPENENV_INTEROP_PYTHON=$(scripts/interop-venv | tail -n 1)` (scripts/test does this).
                """))
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/write_parquet.py").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-parquet-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, output]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(Failure(description: "could not run \(python) (OPENENV_INTEROP_PYTHON): \(error)"))
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(Failure(description: "\(python) \(script) failed (is pyarrow installed? scripts/interop-venv installs it):\n\(message)"))
        }
        atexit { removeFixtures() }
        return .success(output)
    }()

    static func path(_ name: String) throws -> String { try directory.get() + "/" + name }
}

/// Deletes the fixtures folder when the test process exits.
private func removeFixtures() {
    if case .success(let path) = PyarrowFixtures.directory { try? FileManager.default.removeItem(atPath: path) }
}

/// A fresh, empty temporary folder.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-tasks-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// One HTTP request; returns the status and the body parsed as JSON (`null` if it is not JSON).
func request(_ method: HTTPMethod, _ url: String, json body: String? = nil) async throws -> (status: Int, body: JSONValue) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 22)
    return (Int(response.status.code), (try? JSONParser.parse(Array(buffer: bytes))) ?? .null)
}
