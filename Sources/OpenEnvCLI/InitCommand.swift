import ArgumentParser
import Foundation

/// `openenv init <name>`: a new Swift environment package that builds, serves, passes its
/// own test and `openenv validate` without edits.
public struct InitCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a Swift environment package: one environment file, its command line, a test, openenv.yaml, a Space README and a Dockerfile.",
        discussion: """
            The package depends on swift-openenv by path to the checkout this program was built from, or on --from URL. \
            Then: swift build, swift run NAME serve, swift run NAME validate --url … --level semantic, swift test, openenv build.
            """)

    @Argument(help: "The environment's name: lowercase letters, digits, '_' or '-' between words (e.g. guess_number).")
    var name: String

    @Option(help: "Directory to create the package in (must be new or empty). Default: ./NAME.")
    var output: String?

    @Option(help: "Depend on swift-openenv from this git URL (its main branch) instead of the local checkout.")
    var from: String?

    public init() {}

    /// The swift-openenv checkout this program was built from (this file is
    /// Sources/OpenEnvCLI/InitCommand.swift in it), when it is still there.
    static var localCheckout: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard let package = try? String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8),
            package.contains(#"name: "swift-openenv""#)
        else { return nil }
        return root.path
    }

    public func run() throws {
        let dependency: PackageTemplate.Dependency
        if let from {
            dependency = .url(from)
        } else if let checkout = Self.localCheckout {
            dependency = .path(checkout)
        } else {
            throw ValidationError("the swift-openenv checkout this program was built from is gone; pass --from URL")
        }
        // (Errors are printed as "Error: <reason>", exit 1.)
        let template = try PackageTemplate(name: name, dependency: dependency)
        let directory = output ?? name
        try template.write(to: directory)
        print("""
            Created \(directory) (environment \(name), module \(template.moduleName)):
              Sources/\(template.moduleName)/\(template.moduleName)Environment.swift   the environment: edit this file
              openenv.yaml, validation/runtime.json, README.md, Dockerfile, Tests/
            Next:
              cd \(directory) && swift build
              swift run \(name) serve --port 8000
              swift run \(name) validate --url http://127.0.0.1:8000 --level semantic
            """)
    }
}
