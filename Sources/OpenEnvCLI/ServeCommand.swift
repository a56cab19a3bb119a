import ArgumentParser
import Foundation
import Logging
import OpenEnvCore
import OpenEnvServer

/// `serve [env]`: serves one of the program's environments until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an environment over the OpenEnv HTTP and WebSocket protocol.",
        discussion: "Prints '<program>: listening on http://HOST:PORT' to standard error once it accepts connections.")

    @Argument(help: "The environment to serve (see `list`); may be left out when the program has only one.")
    var environment: String?

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port (printed on standard error).")
    var port = 8000

    @Option(help: "Sessions admitted at once (default: the environment's own, 1024 for echo and grid).")
    var maxSessions: Int?

    @Option(help: "Seconds an HTTP-created session without an attached socket may stay idle before it is closed; 0 disables.")
    var sessionTimeout: Double = 300

    @Option(
        help: "simulation (all routes) or production (no HTTP /reset, /step, /state), in any case. Default: $OPENENV_MODE, else simulation.",
        completion: .list(ServerConfiguration.Mode.allValueStrings),
        transform: { try ServerConfiguration.Mode.parse($0) })
    var mode: ServerConfiguration.Mode?

    @Option(help: "The browser page at /web/: auto (on in simulation mode; in production mode only with $ENABLE_WEB_INTERFACE=true, as the reference), on or off.")
    var web = WebInterfaceArgument.auto

    @Option(help: "Seconds between server WebSocket pings; a peer that misses a pong for a whole period is dropped. 0 disables.")
    var pingInterval: Double = 20

    @Option(help: "Seconds a peer may take to answer a server ping before it is dropped and its session closed.")
    var pingTimeout: Double = 20

    @Option(help: "Seconds a single reset, step, state or tool call may run before the caller gets an error and the session is closed; 0 disables.")
    var stepTimeout: Double = 0

    @Option(help: "Largest WebSocket message or HTTP body accepted, in bytes.")
    var maxMessageSize = 16 * 1024 * 1024

    @Option(help: "Seconds that connections get on SIGTERM/SIGINT to answer the requests they had received; a WebSocket still busy after it gets close 1011.")
    var drainTimeout: Double = 10

    @Option(help: "Seconds an HTTP request may take to arrive whole (headers and body), counted from when its connection became idle; slower or idle connections are closed.")
    var requestTimeout: Double = 30

    @Option(help: "Threads of the step pool, where environments that may block run their calls (default: twice the cores, at least 4).")
    var stepThreads: Int?

    @Option(help: "Threads one batched-stepping message (/ws?num_envs=N) steps its environments on at once, in chunks of at least 32 (default: the cores; 1: one after another).")
    var vectorThreads: Int?

    @Flag(help: ArgumentHelp("Benchmark floor: /ws echoes every frame back without sessions (the transport's own cost).", visibility: .hidden))
    var transportFloor = false

    @Option(help: "Log level.")
    var logLevel = LogLevelArgument(.info)

    @Option(help: "Log lines as text, or as one JSON object per line (time, level, message, session, environment, fields).")
    var logFormat = LogFormat.text

    @OptionGroup(title: "Access and metrics")
    var access: ServerAccessOptions

    @Option(help: "mcp-bridge: the Streamable HTTP endpoint of the MCP server to bridge, instead of a command after --.")
    var mcpUrl: String?

    @Option(help: "mcp-bridge: seconds a tool call on the bridged server may take before it fails with a timeout error (default 30).")
    var toolTimeout: Double?

    @Option(help: "openspiel: the game (catch, tic_tac_toe, connect_four, kuhn_poker, cliff_walking; default catch).")
    var game: String?

    @Option(help: ArgumentHelp("openspiel: the game's parameters, a JSON object ('{\"rows\": 8, \"columns\": 6}' for catch).", valueName: "json"))
    var gameParams: String?

    @Option(help: "openspiel: the player the agent controls (default 0).")
    var agentPlayer: String?

    @Option(help: "openspiel: how the other players move: random, first, last or middle legal action (default random).")
    var opponentPolicy: String?

    @Option(help: "browser: an origin (scheme://host[:port]) pages may load from besides the task server; repeatable. Default: none, no network.")
    var allowOrigin: [String] = []

    @Option(help: "chess: how the opponent moves: random (seeded) or none (self-play: each step moves the side to move); default random.")
    var opponent: String?

    @Option(help: "chess: the colour the agent plays, white or black (default white).")
    var agentColor: String?

    @Option(help: "chess: half-moves after which a game is drawn (default 500).")
    var maxMoves: String?

    @Option(name: .customLong("env-id"), help: "textarena: the TextArena game, Wordle-v0 (the default, as the reference's TEXTARENA_ENV_ID) or Sudoku-v0.")
    var envID: String?

    @Option(help: "coding, terminal: sandboxes kept started ahead of need, so that a reset does not wait for one (default 0: none; docs/benchmarks.md measures the cost).")
    var sandboxPool: Int?

    @Option(help: "coding, terminal: sandboxes the pool starts at once while refilling (default 2).")
    var sandboxPoolRefill: Int?

    @Argument(parsing: .postTerminator, help: ArgumentHelp(
        "mcp-bridge: the command that starts the MCP server on stdio, after -- (openenv serve mcp-bridge -- python -m mcp_server_time).",
        valueName: "server-command"))
    var serverCommand: [String] = []

    func validate() throws {
        _ = try OpenEnvCommandLine.context.environment(named: environment)
        if let maxSessions, maxSessions < 1 { throw ValidationError("--max-sessions must be at least 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard pingTimeout > 0 else { throw ValidationError("--ping-timeout must be positive") }
        guard sessionTimeout >= 0, pingInterval >= 0, stepTimeout >= 0 else {
            throw ValidationError("--session-timeout, --ping-interval and --step-timeout must not be negative")
        }
        guard maxMessageSize >= 1024 else { throw ValidationError("--max-message-size must be at least 1024") }
        guard drainTimeout > 0, requestTimeout > 0 else { throw ValidationError("--drain-timeout and --request-timeout must be positive") }
        if let stepThreads, stepThreads < 1 { throw ValidationError("--step-threads must be at least 1") }
        if let vectorThreads, vectorThreads < 1 { throw ValidationError("--vector-threads must be at least 1") }
        if let toolTimeout, !(toolTimeout > 0) { throw ValidationError("--tool-timeout must be positive") }
        _ = try resolvedMode()
        _ = try access.tokens()
    }

    /// `--mode`, else `$OPENENV_MODE` (checked here, with the same message as the option),
    /// else simulation.
    func resolvedMode(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration.Mode {
        if let mode { return mode }
        return try ServerConfiguration.Mode.parse(environment["OPENENV_MODE"] ?? "simulation")
    }

    /// The options after the environment's name that are the environment's, not the server's,
    /// under the names the user typed.
    private var environmentOptions: EnvironmentOptions {
        var values: [(name: String, value: String)] = []
        if let mcpUrl { values.append(("--mcp-url", mcpUrl)) }
        if let toolTimeout { values.append(("--tool-timeout", "\(toolTimeout)")) }
        if let game { values.append(("--game", game)) }
        if let gameParams { values.append(("--game-params", gameParams)) }
        if let agentPlayer { values.append(("--agent-player", agentPlayer)) }
        if let opponentPolicy { values.append(("--opponent-policy", opponentPolicy)) }
        for origin in allowOrigin { values.append(("--allow-origin", origin)) }
        if let opponent { values.append(("--opponent", opponent)) }
        if let agentColor { values.append(("--agent-color", agentColor)) }
        if let maxMoves { values.append(("--max-moves", maxMoves)) }
        if let envID { values.append(("--env-id", envID)) }
        if let sandboxPool { values.append(("--sandbox-pool", "\(sandboxPool)")) }
        if let sandboxPoolRefill { values.append(("--sandbox-pool-refill", "\(sandboxPoolRefill)")) }
        return EnvironmentOptions(values: values, arguments: serverCommand)
    }

    private static func duration(_ seconds: Double) -> Duration? {
        seconds > 0 ? .milliseconds(Int64((seconds * 1000).rounded())) : nil
    }

    func run() async throws {
        let entry = try OpenEnvCommandLine.context.environment(named: environment)
        try await entry.preflight?()
        let level = logLevel.level
        switch logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var settings = ServerConfiguration(
            host: host, port: port, mode: try resolvedMode(), maxSessions: maxSessions,
            sessionTimeout: Self.duration(sessionTimeout), pingInterval: Self.duration(pingInterval), pingTimeout: Self.duration(pingTimeout)!,
            stepTimeout: Self.duration(stepTimeout), maxMessageSize: maxMessageSize)
        settings.echoFramesOnly = transportFloor
        settings.drainTimeout = Self.duration(drainTimeout)!
        settings.stepThreads = stepThreads
        settings.vectorThreads = vectorThreads
        settings.requestTimeout = Self.duration(requestTimeout)!
        try access.apply(to: &settings)
        settings.webInterface = web.isEnabled(mode: settings.mode, environment: ProcessInfo.processInfo.environment)
        if settings.webInterface, let path = ProcessInfo.processInfo.environment["ENV_README_PATH"], !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read $ENV_README_PATH (\(path))") }
            settings.webReadme = String(decoding: data, as: UTF8.self)
        }
        // Code that records through the global swift-metrics system (the sandbox) lands in
        // the same registry as the server's own metrics.
        settings.metrics?.bootstrapMetricsSystem()
        settings.tracing = try OpenEnvCommandLine.context.tracing?()
        // After the metrics system: what an entry starts here (a warm pool of sandboxes)
        // records into it from the first moment.
        let factory = try await entry.configure(environmentOptions)
        let configuration = settings
        var logger = Logger(label: "openenv")
        logger[metadataKey: "environment"] = "\(entry.name)"
        let server = OpenEnvServer(factory: factory, configuration: configuration, logger: logger)
        let name = entry.name
        let host = self.host
        let limit = maxSessions ?? factory.info.defaultMaxSessions
        // Token names only, never tokens.
        let auth = configuration.accessTokens.map { " auth=bearer tokens=\($0.names.joined(separator: ","))" } ?? ""
        let tracing = configuration.tracing == nil ? "" : " tracing=otlp"
        try await server.run { port in
            FileHandle.standardError.write(Data(
                "\(OpenEnvCommandLine.context.name): listening on http://\(host):\(port) env=\(name) mode=\(configuration.mode.rawValue) max_sessions=\(limit)\(auth)\(tracing)\(configuration.webInterface ? " web=/web/" : "")\n".utf8))
        }
    }
}
