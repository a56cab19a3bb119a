import Foundation
import OpenEnvValidation

/// Container images of environment packages (`openenv build`): a multi-stage Dockerfile
/// and a self-contained build context.
public enum ContainerBuild {
    /// The toolchain image of the build stage: Debian bookworm, the release the runtime
    /// stage runs (so the binary's glibc is the runtime's).
    public static let buildImage = "swift:6.3-bookworm"
    /// The runtime stage: the executable (static Swift runtime) on a slim Debian of the same
    /// release, without any Swift library.
    public static let runtimeImage = "debian:bookworm-slim"
    /// Where `prepareContext` puts the context, inside the package.
    public static let contextFolder = ".openenv-build"
    /// Where the runtime stage puts the executable and its resource bundles: `<prefix>/bin/`,
    /// the layout of scripts/package's tarball (Bundle.module looks next to the executable).
    public static let installPrefix = "/opt/openenv"

    /// A two-stage Dockerfile: the Swift toolchain builds `executable` in release mode with
    /// the Swift runtime linked in (`--static-swift-stdlib`) and collects it with the
    /// package's SwiftPM resource bundles (`*.resources`); a slim Debian stage runs that tree
    /// as a non-root user on `port`, with a `HEALTHCHECK` on `/health`. The runtime stage
    /// needs no Swift library: glibc, libstdc++ and libgcc_s are the binary's load-time needs.
    public static func dockerfile(executable: String, port: Int) -> String {
        """
        # Built by `openenv build` (swift-openenv). Build stage: the Swift toolchain.
        FROM \(buildImage) AS build
        WORKDIR /package
        COPY . .
        RUN swift build -c release --static-swift-stdlib --product \(executable) \\
            && bin="$(swift build -c release --show-bin-path)" \\
            && install -D "$bin/\(executable)" /out/bin/\(executable) \\
            && find "$bin" -maxdepth 1 -name '*.resources' -exec cp -R {} /out/bin/ \\;

        # Runtime stage: the executable and its resource bundles, as an unprivileged user.
        FROM \(runtimeImage)
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 \\
            && rm -rf /var/lib/apt/lists/* \\
            && useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin openenv
        COPY --from=build /out/ \(installPrefix)/
        ENV PATH=\(installPrefix)/bin:$PATH
        USER openenv
        WORKDIR /home/openenv
        EXPOSE \(port)
        HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \\
            CMD curl -fsS http://127.0.0.1:\(port)/health || exit 1
        CMD ["\(installPrefix)/bin/\(executable)", "serve", "--host", "0.0.0.0", "--port", "\(port)"]

        """
    }

    public struct BuildError: Error, CustomStringConvertible { public var description: String }

    /// A prepared build context.
    public struct Context: Sendable {
        public var path: String
        /// The manifest's name.
        public var name: String
        public var executable: String
        /// The local swift-openenv checkout copied into the context, if the package named one by path.
        public var vendored: String?
    }

    /// The executable a package serves with: the first word of the manifest's `app`
    /// (`app: guess_number serve`), else its name.
    static func executable(_ manifest: Manifest) -> String {
        manifest.document["app"]?.stringValue?.split(separator: " ").first.map(String.init) ?? manifest.name
    }

    /// Assembles `<package>/.openenv-build`: the package's files (no build folders), a
    /// Dockerfile for the manifest's executable and port, and — when Package.swift names
    /// a dependency by a path outside the package — a copy of it under `vendor/`, with
    /// Package.swift pointing there, so the context builds anywhere.
    public static func prepareContext(package directory: String) throws -> Context {
        let manifest = try Manifest.load(directory: directory)
        guard !manifest.name.isEmpty else { throw BuildError(description: "openenv.yaml has no name") }
        let fm = FileManager.default
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        let context = root.appendingPathComponent(contextFolder)
        try? fm.removeItem(at: context)
        try fm.createDirectory(at: context, withIntermediateDirectories: true)
        try copyTree(from: root, to: context)

        var vendored: String?
        let packageFile = context.appendingPathComponent("Package.swift")
        if var package = try? String(contentsOf: packageFile, encoding: .utf8) {
            let pattern = try NSRegularExpression(pattern: #"\.package\(\s*path:\s*"([^"]+)"\s*\)"#)
            for match in pattern.matches(in: package, range: NSRange(package.startIndex..., in: package)).reversed() {
                guard let range = Range(match.range(at: 1), in: package) else { continue }
                let original = String(package[range])
                let source = URL(fileURLWithPath: original, relativeTo: root).standardizedFileURL
                guard !source.path.hasPrefix(root.path + "/") else { continue }  // already inside the package
                let target = "vendor/" + source.lastPathComponent  // same last component: same package identity
                try fm.createDirectory(at: context.appendingPathComponent(target), withIntermediateDirectories: true)
                try copyTree(from: source, to: context.appendingPathComponent(target))
                package.replaceSubrange(range, with: target)
                vendored = source.path
            }
            try Data(package.utf8).write(to: packageFile)
        }
        let executable = executable(manifest)
        try Data(dockerfile(executable: executable, port: manifest.port).utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return Context(path: context.path, name: manifest.name, executable: executable, vendored: vendored)
    }

    /// Copies a source tree without version control, build folders, virtual environments
    /// and caches.
    static func copyTree(from source: URL, to destination: URL) throws {
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: source.path) {
            if [".git", ".swiftpm", contextFolder, "__pycache__", ".pytest_cache", "Package.resolved"].contains(name)
                || name.hasPrefix(".build") || name.hasPrefix(".venv") { continue }
            let from = source.appendingPathComponent(name), to = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try fm.createDirectory(at: to, withIntermediateDirectories: true)
                try copyTree(from: from, to: to)
            } else {
                try fm.copyItem(at: from, to: to)
            }
        }
    }

    /// A container engine whose daemon answers (`docker info` / `podman info`), or why none does.
    public static func findEngine() -> Result<String, BuildError> {
        var reasons: [String] = []
        for engine in ["docker", "podman"] {
            let (status, output) = run(engine, ["info", "--format", "{{.ServerVersion}}"], timeout: 20)
            if status == 0 { return .success(engine) }
            reasons.append("\(engine): " + (status == 127 ? "not installed" : output.split(separator: "\n").last.map(String.init) ?? "exit \(status)"))
        }
        return .failure(BuildError(description: "no container engine is running (\(reasons.joined(separator: "; ")))"))
    }

    /// Runs a program found in PATH; returns its status (127 when it cannot be started)
    /// and its combined output (collected in a temporary file, so a chatty program never
    /// blocks on a full pipe). The program is terminated after `timeout` seconds.
    static func run(_ program: String, _ arguments: [String], timeout: Double) -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil), let output = try? FileHandle(forWritingTo: log) else {
            return (127, "cannot create \(log.path)")
        }
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return (127, "\(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? output.close()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}
