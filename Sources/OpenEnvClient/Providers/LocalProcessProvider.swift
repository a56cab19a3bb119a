import Logging

/// Runs a server as a local process: `openenv serve …`, a Python `uvicorn` app, or any
/// command that serves OpenEnv on a port it is told.
///
/// In `arguments`, `{host}` and `{port}` are replaced by ``host`` and the port: ``port``
/// when set, otherwise a free loopback port picked at start. The process runs in a
/// process group of its own; its standard output and error go to ``logger`` line by line
/// (and the last lines into ``ProviderError`` messages). ``start()`` polls `GET /health`
/// every 0.5 s until it answers 200; if the process exits first or ``readinessTimeout``
/// passes, the whole group is killed and ``ProviderError`` thrown.
///
/// ```swift
/// let provider = LocalProcessProvider.openenv(serving: "grid", executable: "/usr/local/bin/openenv")
/// let env = try await EnvClient<GridEnvironment.Action, GridEnvironment.Observation, GridEnvironment.State>.launch(provider)
/// …
/// await env.close()   // also stops the server
/// ```
public struct LocalProcessProvider: ServerProvider {
    /// A path (anything containing `/`) or a name looked up in `PATH`.
    public var executable: String
    public var arguments: [String]
    /// Added to (or replacing values of) the inherited environment.
    public var environment: [String: String]
    public var workingDirectory: String?
    public var host: String
    /// `nil`: a free loopback port.
    public var port: Int?
    public var readinessTimeout: Duration
    /// How long the process group gets between SIGTERM and SIGKILL when stopped.
    public var stopGracePeriod: Duration
    public var logger: Logger

    public init(
        executable: String, arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        host: String = "127.0.0.1", port: Int? = nil, readinessTimeout: Duration = .seconds(60), stopGracePeriod: Duration = .seconds(5),
        logger: Logger = Logger(label: "openenv.provider")
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.host = host
        self.port = port
        self.readinessTimeout = readinessTimeout
        self.stopGracePeriod = stopGracePeriod
        self.logger = logger
    }

    /// `openenv serve <environment> --host {host} --port {port} <arguments>` with the
    /// swift-openenv CLI.
    public static func openenv(serving environment: String, executable: String = "openenv", arguments: [String] = []) -> LocalProcessProvider {
        LocalProcessProvider(executable: executable, arguments: ["serve", environment, "--host", "{host}", "--port", "{port}"] + arguments)
    }

    /// The arguments with `{host}` and `{port}` filled in.
    public func resolvedArguments(port: Int) -> [String] {
        arguments.map { $0.replacing("{host}", with: host).replacing("{port}", with: String(port)) }
    }

    public func start() async throws -> LocalServerProcess {
        let port = try self.port ?? FreePort.loopback()
        let address = try ServerAddress("http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)")
        let process = try await LocalServerProcess.spawn(
            executable: executable, arguments: resolvedArguments(port: port), environment: environment,
            workingDirectory: workingDirectory, address: address, stopGracePeriod: stopGracePeriod, logger: logger)
        let outcome: HealthCheck.Outcome
        do {
            outcome = try await HealthCheck.wait(for: address, timeout: readinessTimeout) { await process.hasExited }
        } catch {
            await process.stop()
            throw error
        }
        switch outcome {
        case .healthy:
            logger.info("server ready", metadata: ["url": "\(address)", "pid": "\(process.processID)"])
            return process
        case .gaveUp:
            await process.stop()
            throw ProviderError.exitedBeforeReady(command: process.command, status: await process.termination ?? "unknown", output: await process.recentOutput)
        case .timedOut:
            await process.stop()
            throw ProviderError.notReady(url: address.url(path: "/health"), timeout: readinessTimeout, output: await process.recentOutput)
        }
    }
}
