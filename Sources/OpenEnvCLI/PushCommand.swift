import ArgumentParser
import Foundation

/// `push [DIR] --repo-id OWNER/NAME`: the package as a Hugging Face Docker Space.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Publish an environment package as a Hugging Face Docker Space.",
        discussion: """
            The Space holds the build context of `build` (Dockerfile at the root) and a README whose front matter has \
            sdk: docker, app_port (the manifest's port) and the openenv tag; the manifest's variables become public \
            Space variables. Uploads through the Hub's HTTP API with HF_TOKEN or the token file of `huggingface-cli \
            login`; HF_ENDPOINT selects another Hub. --dry-run writes the Space into a directory and uploads nothing.
            """)

    @Argument(help: "The package directory (default: the current directory).")
    var directory: String?

    @Option(help: "The Space: OWNER/NAME.")
    var repoId: String

    @Option(help: "Write the Space repository into this new or empty directory instead of uploading it.")
    var dryRun: String?

    func run() async throws {
        let directory = self.directory ?? FileManager.default.currentDirectoryPath
        let publisher: SpacePublisher
        do { publisher = try SpacePublisher(repoID: repoId) } catch { throw ValidationError(error.description) }
        let layout = dryRun ?? FileManager.default.temporaryDirectory.appendingPathComponent("openenv-push-\(UUID().uuidString)").path
        let prepared: (files: [String], variables: [(key: String, value: String)])
        do { prepared = try SpacePublisher.prepareLayout(package: directory, into: layout) } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if dryRun != nil {
            print("Space \(repoId) written to \(layout): \(prepared.files.count) files")
            for variable in prepared.variables { print("variable \(variable.key)=\(variable.value)") }
            return
        }
        defer { try? FileManager.default.removeItem(atPath: layout) }
        do {
            let token = try SpacePublisher.token()
            try await publisher.upload(layout: layout, files: prepared.files, variables: prepared.variables, token: token)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        print("Pushed \(prepared.files.count) files to \(publisher.endpoint)/spaces/\(repoId)")
    }
}
