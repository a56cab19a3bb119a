import Foundation
import OpenEnvClient
import OpenEnvEnvironments
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Providers start real processes (the `openenv` CLI built with the tests, `sh`) and must
/// leave nothing behind; the container provider is checked for its command lines and its
/// refusal when no engine runs (this machine has a `docker` client but no daemon).
@Suite(.serialized, .timeLimit(.minutes(2))) struct ProviderTests {
    @Test func localProcessServesAndStopsLeavingNothing() async throws {
        let server = try await ExternalServers.openenv("echo").start()
        #expect(processExists(server.processID))
        #expect(server.command.contains("--port"))
        let echo = try await MCPToolClient.connect(to: server.address.httpBase, configuration: testConfiguration())
        _ = try await echo.reset()
        #expect(try await echo.callTool("echo_message", arguments: ["message": "up"]) == "up")
        await echo.close()
        await server.stop()
        #expect(await server.hasExited)
        #expect(!processExists(server.processID))
        await #expect(throws: OpenEnvError.self) { try await GenericEnvClient.connect(to: server.address, configuration: testConfiguration()) }
    }

    @Test func launchedClientOwnsItsServer() async throws {
        let provider = try ExternalServers.openenv("grid", arguments: ["--max-sessions", "2"])
        let client = try await GridClient.launch(provider, configuration: testConfiguration())
        let episode = try await playGreedyEpisode(client, seed: 2, episodeID: "owned")
        #expect(episode.last.done)
        let address = client.address
        await client.close()
        // Closing the client stopped the server.
        let health = await #expect(throws: OpenEnvError.self) { try await GenericEnvClient.connect(to: address, transport: .httpSession, configuration: testConfiguration()) }
        guard case .connectionFailed = health else { throw TestFailure("expected no server, got \(String(describing: health))") }
    }

    @Test func aServerThatExitsBeforeItIsReadyIsReportedWithItsOutput() async throws {
        let error = await #expect(throws: ProviderError.self) { try await ExternalServers.openenv("no_such_environment").start() }
        guard case .exitedBeforeReady(let command, let status, let output) = error else { throw TestFailure("expected exitedBeforeReady, got \(String(describing: error))") }
        #expect(command.contains("no_such_environment"))
        #expect(status.contains("exited"))
        #expect(output.contains("no_such_environment"))
    }

    @Test func aServerThatNeverBecomesHealthyIsKilledWithItsProcessGroup() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-provider-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pids = directory.appendingPathComponent("pids").path
        // A "server" that never listens, with a child of its own in the same process group.
        var provider = LocalProcessProvider(
            executable: "/bin/sh", arguments: ["-c", "sleep 300 & echo $$ $! > \(pids); echo waiting on {port}; wait"],
            readinessTimeout: .seconds(2), stopGracePeriod: .milliseconds(500), logger: ExternalServers.quietLogger)
        provider.port = nil
        let error = await #expect(throws: ProviderError.self) { try await provider.start() }
        guard case .notReady(let url, _, let output) = error else { throw TestFailure("expected notReady, got \(String(describing: error))") }
        #expect(url.hasSuffix("/health"))
        #expect(output.contains("waiting on"))
        let started = try String(contentsOfFile: pids, encoding: .utf8).split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(started.count == 2)
        for pid in started { #expect(!processExists(pid), "process \(pid) survived") }
    }

    @Test func aCrashedServerTakesItsGroupWithIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openenv-provider-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pids = directory.appendingPathComponent("pids").path
        let binary = try ExternalServers.openenvBinary()
        // A shell that serves (through its child) and leaves a straggler in the group.
        let provider = LocalProcessProvider(
            executable: "/bin/sh", arguments: ["-c", "sleep 300 & echo $! > \(pids); exec \(binary) serve echo --host {host} --port {port}"],
            logger: ExternalServers.quietLogger)
        let server = try await provider.start()
        let straggler = try #require(Int32(String(contentsOfFile: pids, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(processExists(straggler))
        kill(server.processID, SIGKILL)
        await server.waitForExit()
        #expect(await server.termination?.contains("9") == true)
        try await Task.sleep(for: .milliseconds(100))
        #expect(!processExists(straggler), "the crashed server's group was not killed")
        await server.stop()
    }

    @Test func aMissingExecutableIsALaunchFailure() async throws {
        let provider = LocalProcessProvider(executable: "/nonexistent/openenv", arguments: ["serve", "echo"], logger: ExternalServers.quietLogger)
        let error = await #expect(throws: ProviderError.self) { try await provider.start() }
        guard case .launchFailed(let command, _) = error else { throw TestFailure("expected launchFailed, got \(String(describing: error))") }
        #expect(command == ["/nonexistent/openenv", "serve", "echo"])
    }

    @Test func containerCommandLines() {
        let provider = ContainerProvider(
            image: "registry.hf.space/openenv-echo-env:latest", environment: ["WORKERS": "2", "A": "b"], command: ["openenv", "serve", "echo"])
        #expect(provider.containerName(epochMilliseconds: 1_764_000_000_000) == "openenv-echo-env-1764000000000")
        #expect(provider.runArguments(name: "n", hostPort: 18000) == [
            "run", "-d", "--name", "n", "-p", "127.0.0.1:18000:8000", "-e", "A=b", "-e", "WORKERS=2",
            "registry.hf.space/openenv-echo-env:latest", "openenv", "serve", "echo",
        ])
        #expect(ContainerProvider.removalArguments(container: "abc") == [["stop", "abc"], ["rm", "-f", "abc"]])
        #expect(ContainerProvider(image: "echo-env").containerName(epochMilliseconds: 1) == "echo-env-1")
    }

    @Test func noContainerEngineIsAClearError() async throws {
        // The docker client is installed here, but no daemon runs.
        let docker = await #expect(throws: ProviderError.self) { try await ContainerProvider(image: "openenv/echo-env", engine: "docker").start() }
        guard case .containerEngineUnavailable(let engine, let reason) = docker else { throw TestFailure("expected containerEngineUnavailable, got \(String(describing: docker))") }
        #expect(engine == "docker")
        #expect(reason.contains("docker"))
        #expect(String(describing: docker!).hasPrefix("No container engine available through `docker`"))

        let missing = await #expect(throws: ProviderError.self) { try await ContainerProvider(image: "x", engine: "no-such-engine-cli").start() }
        guard case .containerEngineUnavailable("no-such-engine-cli", _) = missing else { throw TestFailure("expected containerEngineUnavailable, got \(String(describing: missing))") }
    }

    private func processExists(_ pid: Int32) -> Bool {
        // A zombie still "exists" for kill(); read its state instead.
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = status.split(separator: ")").last?.split(separator: " ").first
        return state != "Z"
    }
}
