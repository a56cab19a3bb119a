import Foundation

/// The Python programs that run inside a session's sandbox, shipped as resources of this
/// target (`Drivers/*.py`, tested as Python by `Tests/Interop/test_drivers.py`; each states
/// its JSON-lines protocol in its docstring). They are passed to `python3 -I -c`, so the
/// sandbox needs no copy of them on its file system.
enum Driver: String, CaseIterable, Sendable {
    /// A long-lived interpreter answering `{"code": ...}` with captured output, exit status,
    /// exception, whether the code parsed, and timing. Argument: the output cap per stream.
    case coding = "coding_driver"
    /// Runs hidden tests in a fresh sandbox whose work directory is mounted read-only.
    case grading = "grading_driver"
    /// Owns one interactive bash on a pseudo-terminal and answers `{"command": ...}` and
    /// `{"keys": ...}`. Argument: the output cap in bytes.
    case terminal = "terminal_driver"

    /// The program's source. The resources are part of the build, so a missing one is a
    /// broken installation (a binary moved without its `*.resources` directory), not an input error.
    var source: String { Self.sources[self]! }

    private static let sources = Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.load()) })

    private func load() -> String {
        guard let url = Bundle.module.url(forResource: rawValue, withExtension: "py", subdirectory: "Drivers"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("openenv: Drivers/\(rawValue).py is missing from the OpenEnvCoding resources next to the binary")
        }
        return text
    }
}
