import Foundation

/// The MiniWoB++ suite as the PyPI package `miniwob` ships it (`miniwob/html`: task pages
/// in `miniwob/`, `core/core.js` which computes each task's reward inside the page).
public struct MiniWoBTasks: Sendable {
    /// The `html` folder.
    public let root: String
    /// Task names (`click-test`), sorted.
    public let names: [String]

    public init(root: String) throws {
        let folder = root + "/miniwob"
        guard FileManager.default.fileExists(atPath: root + "/core/core.js"),
              let files = try? FileManager.default.contentsOfDirectory(atPath: folder)
        else {
            throw BrowserError.unavailable("\(root) is not a MiniWoB++ html folder (no core/core.js or miniwob/)")
        }
        self.root = root
        names = files.filter { $0.hasSuffix(".html") }.map { String($0.dropLast(5)) }.sorted()
        guard !names.isEmpty else { throw BrowserError.unavailable("no task pages in \(folder)") }
    }

    /// The path of a task's page on the task server.
    public func path(of task: String) -> String { "/miniwob/\(task).html" }

    /// The folder from the configuration, else the `miniwob` package of the first Python
    /// that has it (found, not imported: its gym needs packages we do not install): `$OPENENV_INTEROP_PYTHON`, `./.venv-interop/bin/python`, `python3`.
    public static func locate(configured: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MiniWoBTasks {
        if let configured { return try MiniWoBTasks(root: configured) }
        var interpreters: [String] = []
        if let python = environment["OPENENV_INTEROP_PYTHON"], !python.isEmpty { interpreters.append(python) }
        interpreters.append(FileManager.default.currentDirectoryPath + "/.venv-interop/bin/python")
        interpreters += ["/usr/bin/python3", "/usr/local/bin/python3"]
        for python in interpreters where FileManager.default.isExecutableFile(atPath: python) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", "import importlib.util, os; print(os.path.join(importlib.util.find_spec('miniwob').submodule_search_locations[0], 'html'))"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0,
                  let path = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
            else { continue }
            if let tasks = try? MiniWoBTasks(root: path) { return tasks }
        }
        throw BrowserError.unavailable(
            "no MiniWoB++ pages: install the pinned PyPI package (scripts/interop-venv installs miniwob==1.1.0 into .venv-interop) or set OPENENV_BROWSER_MINIWOB_DIR to its miniwob/html folder")
    }
}
