import Foundation
@testable import OpenEnvValidation
import Testing

@testable import OpenEnvCLI

/// `init`, `build` and `push` without building anything: the files they write.
@Suite struct AuthoringTests {
    /// A new temporary directory (not created).
    static func scratch(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("openenv-\(label)-\(UUID().uuidString)").path
    }

    /// A stand-in swift-openenv checkout: a Package.swift with the right name, a source, and
    /// a build folder that must not be copied.
    static func fakeCheckout() throws -> String {
        let root = scratch("checkout") + "/swift-openenv"
        try FileManager.default.createDirectory(atPath: root + "/Sources/OpenEnvCore", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/.build/debug", withIntermediateDirectories: true)
        try #"let package = Package(name: "swift-openenv")"#.write(toFile: root + "/Package.swift", atomically: true, encoding: .utf8)
        try "// core".write(toFile: root + "/Sources/OpenEnvCore/Core.swift", atomically: true, encoding: .utf8)
        try "binary".write(toFile: root + "/.build/debug/big", atomically: true, encoding: .utf8)
        return root
    }

    @Test func namesAreCheckedWithAClearMessage() throws {
        #expect(try PackageTemplate(name: "guess_number", dependency: .url("https://example.org/swift-openenv.git")).moduleName == "GuessNumber")
        #expect(try PackageTemplate(name: "maze-2d", dependency: .path("/x")).moduleName == "Maze2d")
        for bad in ["Guess", "2maze", "guess__number", "guess number", "-x", "", "open_env_core"] {
            do {
                _ = try PackageTemplate(name: bad, dependency: .path("/x"))
                Issue.record("accepted '\(bad)'")
            } catch {
                #expect(error.description.contains("invalid environment name '\(bad)'"))
            }
        }
    }

    @Test func theGeneratedPackageIsCompleteAndItsManifestValidates() throws {
        let directory = Self.scratch("init")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let template = try PackageTemplate(name: "guess_number", dependency: .url("https://github.com/example/swift-openenv.git"))
        try template.write(to: directory)
        for file in ["Package.swift", "Sources/GuessNumber/GuessNumberEnvironment.swift", "Sources/guess_number/GuessNumberCLI.swift",
                     "Tests/GuessNumberTests/GuessNumberTests.swift", "openenv.yaml", "validation/runtime.json", "README.md", "Dockerfile", ".gitignore", ".dockerignore"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + file), "\(file)")
        }
        let package = try String(contentsOfFile: directory + "/Package.swift", encoding: .utf8)
        #expect(package.contains(#".package(url: "https://github.com/example/swift-openenv.git", branch: "main")"#))
        #expect(package.contains(#".product(name: "OpenEnvCLI", package: "swift-openenv")"#))
        let manifest = try Manifest.load(directory: directory)
        #expect(manifest.errors.isEmpty, "\(manifest.errors)")
        #expect(manifest.validation?.execution?.probePath == "validation/runtime.json")
        #expect(Validator.layoutProblems(directory, manifest: manifest).isEmpty)
        _ = try RuntimePlan.load(path: directory + "/validation/runtime.json")
        let front = try #require(SpaceReadme.frontMatter(try String(contentsOfFile: directory + "/README.md", encoding: .utf8)))
        #expect(front["title"] == "Guess Number" && front["sdk"] == "docker" && front["app_port"] == "8000")
        #expect(front["emoji"] != nil && front["colorFrom"] != nil && front["colorTo"] != nil)
        let readme = try String(contentsOfFile: directory + "/README.md", encoding: .utf8)
        #expect(readme.contains("tags:\n  - openenv\n"))

        do {
            try template.write(to: directory)
            Issue.record("wrote into a non-empty directory")
        } catch {
            #expect("\(error)".contains("is not empty"))
        }
    }

    @Test func theDockerfileBuildsInTwoStagesAndRunsUnprivileged() {
        let dockerfile = ContainerBuild.dockerfile(executable: "guess_number", port: 8123)
        #expect(dockerfile.contains("FROM swift:6.3-bookworm AS build"))
        #expect(dockerfile.contains("swift build -c release --static-swift-stdlib --product guess_number"))
        // The executable and the package's resource bundles, laid out as in scripts/package's tarball.
        #expect(dockerfile.contains(#"install -D "$bin/guess_number" /out/bin/guess_number"#))
        #expect(dockerfile.contains(#"find "$bin" -maxdepth 1 -name '*.resources' -exec cp -R {} /out/bin/ \;"#))
        // The runtime: a slim Debian of the build stage's release, no Swift runtime library installed.
        #expect(dockerfile.contains("FROM debian:bookworm-slim\n"))
        #expect(!dockerfile.contains("libswift") && !dockerfile.contains("swift-lang") && !dockerfile.contains("/usr/lib/swift"))
        #expect(dockerfile.contains("COPY --from=build /out/ /opt/openenv/\n"))
        #expect(dockerfile.contains("ENV PATH=/opt/openenv/bin:$PATH"))
        // Exactly two stages.
        #expect(dockerfile.components(separatedBy: "\nFROM ").count - 1 == 2 && dockerfile.hasPrefix("# Built by"))
        #expect(dockerfile.contains("useradd --system --uid 10001"))
        #expect(dockerfile.contains("USER openenv"))
        #expect(dockerfile.contains("EXPOSE 8123"))
        #expect(dockerfile.contains("CMD curl -fsS http://127.0.0.1:8123/health || exit 1"))
        #expect(dockerfile.contains(#"CMD ["/opt/openenv/bin/guess_number", "serve", "--host", "0.0.0.0", "--port", "8123"]"#))
    }

    @Test func theBuildContextCarriesALocalCheckout() throws {
        let checkout = try Self.fakeCheckout()
        let directory = Self.scratch("build")
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: checkout) }
        try PackageTemplate(name: "guess_number", dependency: .path(checkout)).write(to: directory)
        try FileManager.default.createDirectory(atPath: directory + "/.build/debug", withIntermediateDirectories: true)
        let context = try ContainerBuild.prepareContext(package: directory)
        #expect(context.path == URL(fileURLWithPath: directory).standardizedFileURL.path + "/.openenv-build")
        #expect(context.executable == "guess_number" && context.name == "guess_number")
        #expect(context.vendored == URL(fileURLWithPath: checkout).standardizedFileURL.path)
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: context.path + "/vendor/swift-openenv/Sources/OpenEnvCore/Core.swift"))
        #expect(!fm.fileExists(atPath: context.path + "/vendor/swift-openenv/.build"))
        #expect(!fm.fileExists(atPath: context.path + "/.build"))
        #expect(fm.fileExists(atPath: context.path + "/Sources/GuessNumber/GuessNumberEnvironment.swift"))
        let package = try String(contentsOfFile: context.path + "/Package.swift", encoding: .utf8)
        #expect(package.contains(#".package(path: "vendor/swift-openenv")"#))
        let dockerfile = try String(contentsOfFile: context.path + "/Dockerfile", encoding: .utf8)
        #expect(dockerfile == ContainerBuild.dockerfile(executable: "guess_number", port: 8000))
        #expect(BuildCommand.defaultTag(context: context, directory: directory) == "openenv-guess-number")
        // The package's own Package.swift still points at the checkout.
        #expect(try String(contentsOfFile: directory + "/Package.swift", encoding: .utf8).contains(checkout))
    }

    @Test func withoutAContainerEngineBuildSaysSo() {
        // This machine has the docker client but no daemon; where an engine runs, nothing to check.
        if case .failure(let reason) = ContainerBuild.findEngine() {
            #expect(reason.description.hasPrefix("no container engine is running (docker: "))
            #expect(reason.description.contains("podman: "))
        }
    }

    @Test func theSpaceLayoutHasTheDockerSDKFrontMatterAndTheVariables() throws {
        let checkout = try Self.fakeCheckout()
        let directory = Self.scratch("push"), layout = Self.scratch("space")
        defer { for path in [directory, layout, checkout] { try? FileManager.default.removeItem(atPath: path) } }
        try PackageTemplate(name: "guess_number", dependency: .path(checkout)).write(to: directory)
        var manifest = try String(contentsOfFile: directory + "/openenv.yaml", encoding: .utf8)
        manifest = manifest.replacing("variables: {}", with: "variables:\n  LOG_LEVEL: debug\n  ROUNDS: 3").replacing("port: 8000", with: "port: 7860")
        try manifest.write(toFile: directory + "/openenv.yaml", atomically: true, encoding: .utf8)
        try "---\ntitle: Guesser\nsdk: gradio\ntags: [games]\n---\n# Guesser\n".write(toFile: directory + "/README.md", atomically: true, encoding: .utf8)

        let prepared = try SpacePublisher.prepareLayout(package: directory, into: layout)
        #expect(prepared.files.contains("Dockerfile") && prepared.files.contains("README.md") && prepared.files.contains("openenv.yaml"))
        #expect(prepared.files.contains("vendor/swift-openenv/Package.swift"))
        #expect(prepared.variables.map { "\($0.key)=\($0.value)" } == ["LOG_LEVEL=debug", "ROUNDS=3"])
        let readme = try String(contentsOfFile: layout + "/README.md", encoding: .utf8)
        #expect(readme == "---\ntitle: Guesser\ncolorFrom: blue\ncolorTo: green\nsdk: docker\napp_port: 7860\ntags:\n  - games\n  - openenv\n---\n# Guesser\n")
        #expect(try String(contentsOfFile: layout + "/Dockerfile", encoding: .utf8).contains("EXPOSE 7860"))
        #expect(throws: SpacePublisher.PushError.self) { try SpacePublisher.prepareLayout(package: directory, into: layout) }
    }

    @Test func tokensComeFromTheEnvironmentOrTheTokenFile() throws {
        #expect(try SpacePublisher.token(environment: ["HF_TOKEN": "hf_env"]) == "hf_env")
        let home = Self.scratch("home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.cache/huggingface", withIntermediateDirectories: true)
        do {
            _ = try SpacePublisher.token(environment: ["HOME": home])
            Issue.record("a token was found in an empty home")
        } catch {
            #expect(error.description.contains("no Hugging Face token: set HF_TOKEN"))
        }
        try "hf_file\n".write(toFile: home + "/.cache/huggingface/token", atomically: true, encoding: .utf8)
        #expect(try SpacePublisher.token(environment: ["HOME": home]) == "hf_file")
        #expect(throws: SpacePublisher.PushError.self) { try SpacePublisher(repoID: "no-slash") }
    }

    @Test func anUnreachableHubIsAClearError() async throws {
        let layout = Self.scratch("unreachable")
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: layout) }
        try "x".write(toFile: layout + "/README.md", atomically: true, encoding: .utf8)
        // Port 9 on loopback: nothing listens, the connection is refused at once.
        let publisher = try SpacePublisher(repoID: "someone/guess-number", endpoint: "http://127.0.0.1:9/")
        do {
            try await publisher.upload(layout: layout, files: ["README.md"], variables: [], token: "hf_test")
            Issue.record("the upload succeeded")
        } catch {
            #expect(error.description.hasPrefix("cannot reach the Hugging Face Hub at http://127.0.0.1:9 ("), "\(error)")
        }
    }
}
