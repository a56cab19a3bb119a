import ArgumentParser
import Foundation

/// `build [DIR]`: the package's container image, from a generated multi-stage Dockerfile.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the container image of an environment package (docker or podman).",
        discussion: """
            Writes DIR/.openenv-build: the package, a two-stage Dockerfile (Swift toolchain build, slim runtime, non-root \
            user, HEALTHCHECK on /health, the manifest's port) and, when Package.swift names swift-openenv by a local path, \
            a copy of it. Then runs `docker build` or `podman build`. Without a running engine the context stays in place \
            and the command says how to build it elsewhere (exit 1).
            """)

    @Argument(help: "The package directory (default: the current directory).")
    var directory: String?

    @Option(help: "Image tag. Default: openenv-NAME (NAME from openenv.yaml, without a trailing _env).")
    var tag: String?

    func run() throws {
        let directory = self.directory ?? FileManager.default.currentDirectoryPath
        let context: ContainerBuild.Context
        do { context = try ContainerBuild.prepareContext(package: directory) } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let tag = self.tag ?? Self.defaultTag(context: context, directory: directory)
        print("Build context: \(context.path)" + (context.vendored.map { " (includes a copy of \($0))" } ?? ""))
        switch ContainerBuild.findEngine() {
        case .failure(let reason):
            FileHandle.standardError.write(Data("""
                Error: \(reason.description).
                The build context is ready: build it where an engine runs with
                  docker build -t \(tag) \(context.path)

                """.utf8))
            throw ExitCode(1)
        case .success(let engine):
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [engine, "build", "-t", tag, context.path]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
            print("Built \(tag) with \(engine). Run it: \(engine) run --rm -p 8000:8000 \(tag)")
        }
    }

    static func defaultTag(context: ContainerBuild.Context, directory: String) -> String {
        let name = context.name
        let base = name.hasSuffix("_env") ? String(name.dropLast(4)) : name
        return "openenv-" + base.lowercased().replacing("_", with: "-")
    }
}
