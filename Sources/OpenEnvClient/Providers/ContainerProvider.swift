import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a server image in a container through a Docker-compatible CLI (`docker`,
/// `podman`), like the reference's local Docker provider (spec §6.6): the image must
/// serve on port 8000, which is published on a free loopback port of the host.
///
/// ```
/// docker run -d --name <image basename>-<epoch ms> -p 127.0.0.1:<port>:8000 [-e K=V …] <image> [command …]
/// docker stop <id>; docker rm -f <id>
/// ```
///
/// ``start()`` first checks that the engine answers (`<engine> info`), so a missing CLI or
/// a client without a running engine fails at once with
/// ``ProviderError/containerEngineUnavailable(engine:reason:)``, not with a timeout. It
/// then polls `/health` every 0.5 s; on failure the container is removed before the
/// error is thrown.
public struct ContainerProvider: ServerProvider {
    /// The CLI: a path or a name in `PATH`. `nil` picks the first of `docker`, `podman`
    /// found in `PATH`.
    public var engine: String?
    public var image: String
    /// Variables passed with `-e`.
    public var environment: [String: String]
    /// Replaces the image's command when not empty.
    public var command: [String]
    /// The container's port (8000 for OpenEnv images).
    public var containerPort: Int
    /// `nil`: a free loopback port.
    public var hostPort: Int?
    /// The host address the port is published on.
    public var publishAddress: String
    public var readinessTimeout: Duration
    /// Bound on each CLI call (`run` may pull the image).
    public var commandTimeout: Duration
    public var logger: Logger

    public init(
        image: String, engine: String? = nil, environment: [String: String] = [:], command: [String] = [], containerPort: Int = 8000,
        hostPort: Int? = nil, publishAddress: String = "127.0.0.1", readinessTimeout: Duration = .seconds(30),
        commandTimeout: Duration = .seconds(300), logger: Logger = Logger(label: "openenv.provider")
    ) {
        self.image = image
        self.engine = engine
        self.environment = environment
        self.command = command
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.publishAddress = publishAddress
        self.readinessTimeout = readinessTimeout
        self.commandTimeout = commandTimeout
        self.logger = logger
    }

    /// `<image basename>-<epoch ms>`, as the reference names containers:
    /// `registry.hf.space/openenv-echo-env:latest` → `openenv-echo-env-1764000000000`.
    public func containerName(epochMilliseconds: Int64) -> String {
        let last = image.split(separator: "/").last.map(String.init) ?? image
        let base = last.split(separator: ":").first.map(String.init) ?? last
        return "\(base)-\(epochMilliseconds)"
    }

    /// The arguments of the `run` command (after the engine).
    public func runArguments(name: String, hostPort: Int) -> [String] {
        var arguments = ["run", "-d", "--name", name, "-p", "\(publishAddress):\(hostPort):\(containerPort)"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        return arguments + [image] + command
    }

    /// The commands that stop and remove a container (after the engine).
    public static func removalArguments(container: String) -> [[String]] {
        [["stop", container], ["rm", "-f", container]]
    }

    public func start() async throws -> RunningContainer {
        let engine = try await Self.availableEngine(engine)
        let port = try hostPort ?? FreePort.loopback()
        let name = containerName(epochMilliseconds: epochMilliseconds())
        let run = [engine] + runArguments(name: name, hostPort: port)
        let outcome = try await CommandRunner.run(run, timeout: commandTimeout)
        guard outcome.succeeded else {
            // `run -d` can fail after creating the container (e.g. the port is taken).
            await Self.remove(name, engine: engine, logger: logger)
            throw ProviderError.containerCommandFailed(command: run, status: outcome.status, output: outcome.errorOutput + outcome.output)
        }
        let id = outcome.output.split(whereSeparator: \.isWhitespace).last.map(String.init) ?? name
        let host = publishAddress == "0.0.0.0" ? "127.0.0.1" : publishAddress
        let container = RunningContainer(address: try ServerAddress("http://\(host):\(port)"), id: id, engine: engine, logger: logger)
        logger.info("started container", metadata: ["id": "\(id)", "image": "\(image)", "port": "\(port)"])
        let health: HealthCheck.Outcome
        do {
            health = try await HealthCheck.wait(for: container.address, timeout: readinessTimeout)
        } catch {
            await container.stop()
            throw error
        }
        guard case .healthy = health else {
            await container.stop()
            throw ProviderError.notReady(url: container.address.url(path: "/health"), timeout: readinessTimeout, output: "")
        }
        return container
    }

    /// The engine to use, after checking that it answers `info`.
    static func availableEngine(_ preferred: String?) async throws(ProviderError) -> String {
        let candidates = preferred.map { [$0] } ?? ["docker", "podman"]
        var reasons: [String] = []
        for candidate in candidates {
            let outcome: CommandRunner.Outcome
            do {
                outcome = try await CommandRunner.run([candidate, "info"], timeout: .seconds(30))
            } catch {
                reasons.append("\(candidate): \(error)")
                continue
            }
            if outcome.succeeded { return candidate }
            let detail = (outcome.errorOutput + outcome.output).split(separator: "\n").suffix(3).joined(separator: " ")
            reasons.append("`\(candidate) info` failed (\(outcome.status)): \(detail)")
        }
        throw .containerEngineUnavailable(engine: preferred ?? "docker or podman", reason: reasons.joined(separator: "; "))
    }

    static func remove(_ container: String, engine: String, logger: Logger) async {
        for arguments in removalArguments(container: container) {
            do {
                let outcome = try await CommandRunner.run([engine] + arguments, timeout: .seconds(60))
                if !outcome.succeeded { logger.debug("container command failed", metadata: ["command": "\(arguments)", "output": "\(outcome.errorOutput)"]) }
            } catch {
                logger.warning("container command failed", metadata: ["command": "\(arguments)", "error": "\(error)"])
            }
        }
    }
}

/// A container started by ``ContainerProvider``; ``stop()`` stops and removes it.
public struct RunningContainer: RunningServer {
    public let address: ServerAddress
    /// The container id the engine printed.
    public let id: String
    public let engine: String
    let logger: Logger

    public func stop() async {
        await ContainerProvider.remove(id, engine: engine, logger: logger)
    }
}

/// Wall-clock milliseconds since 1970, for container names.
private func epochMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
