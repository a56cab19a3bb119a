import Logging
import OpenEnvClient
import OpenEnvEnvironments

#if canImport(Glibc)
import Glibc
#endif

/// A rollout loop on the grid environment: start a server (the Swift `openenv serve grid`,
/// or the official Python server), open a pool of sessions on it, and play epsilon-greedy
/// episodes in all of them at once.
///
/// ```
/// rollout-example swift  [--openenv PATH]                                  [--sessions N] [--episodes N]
/// rollout-example python --python PY [--script Tests/Interop/reference_env.py] [--sessions N] [--episodes N]
/// rollout-example url    http://127.0.0.1:8000                             [--sessions N] [--episodes N]
/// ```
@main
struct Rollout {
    typealias Pool = SessionPool<GridEnvironment.Action, GridEnvironment.Observation, GridEnvironment.State>

    static func main() async {
        var options = Options(CommandLine.arguments.dropFirst())
        let server: LocalServerProcess?
        do {
            server = try await options.startServer()
        } catch {
            print("rollout: could not start the server: \(error)")
            exit(1)
        }
        do {
            let address = try server?.address ?? ServerAddress(options.value("url") ?? "http://127.0.0.1:8000")
            print("rollout: \(options.sessions) sessions on \(address), \(options.episodes) rounds")
            try await rollout(on: address, sessions: options.sessions, rounds: options.episodes)
        } catch {
            print("rollout failed: \(error)")
            await server?.stop()
            exit(1)
        }
        await server?.stop()
    }

    /// Plays `rounds` rounds of one episode per session; every session steps at once.
    static func rollout(on address: ServerAddress, sessions: Int, rounds: Int) async throws {
        let pool = try await Pool.connect(to: [address], sessionsPerServer: sessions)
        var random = SplitMix64(seed: 2026)
        for round in 0..<rounds {
            let seeds = (0..<sessions).map { round * sessions + $0 }
            var current: [Int: StepResult<GridEnvironment.Observation>] = [:]
            for (index, outcome) in await pool.reset(seeds: seeds).enumerated() {
                switch outcome {
                case .success(let start): current[index] = start
                case .failure(let error): print("  session \(index): reset failed: \(error)")
                }
            }
            var returns = [Double](repeating: 0, count: sessions)
            var lengths = [Int](repeating: 0, count: sessions)
            // Step every session whose episode is still running, all in one batch.
            while case let running = current.filter({ !$0.value.done }), !running.isEmpty {
                // Draw in session order, so a run is repeatable whatever the server.
                let order = running.keys.sorted()
                let actions = Dictionary(uniqueKeysWithValues: order.map { ($0, policy(running[$0]!.observation, random: &random)) })
                for (index, outcome) in await pool.step(actions) {
                    switch outcome {
                    case .success(let result):
                        current[index] = result
                        returns[index] += result.reward.map(Self.value) ?? 0
                        lengths[index] += 1
                        if lengths[index] >= 50 { current[index] = nil }  // give up on a long episode
                    case .failure(let error):
                        print("  session \(index): step failed: \(error)")
                        current[index] = nil
                    }
                }
            }
            let summary = (0..<sessions).map { "seed \(seeds[$0]): return \(returns[$0]) in \(lengths[$0]) steps" }
            print("round \(round): " + summary.joined(separator: "; "))
        }
        await pool.close()
    }

    /// Epsilon-greedy: mostly toward the goal, sometimes a random move.
    static func policy(_ observation: GridEnvironment.Observation, random: inout SplitMix64) -> GridEnvironment.Action {
        if random.next() % 5 == 0 { return .init(GridEnvironment.Move.allCases[Int(random.next() % 4)]) }
        if observation.row != observation.goalRow { return .init(observation.row < observation.goalRow ? .down : .up) }
        return .init(observation.col < observation.goalCol ? .right : .left)
    }

    static func value(_ reward: Reward) -> Double {
        switch reward {
        case .int(let value): Double(value)
        case .double(let value): value
        case .bool(let value): value ? 1 : 0
        }
    }
}

/// The command line: a server kind, then `--name value` options.
struct Options {
    var kind = "swift"
    var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        if let first = rest.first, !first.hasPrefix("--") {
            kind = first
            rest = rest.dropFirst()
            if kind == "url", let url = rest.first, !url.hasPrefix("--") {
                values["url"] = url
                rest = rest.dropFirst()
            }
        }
        while let name = rest.first, name.hasPrefix("--"), rest.count >= 2 {
            values[String(name.dropFirst(2))] = rest.dropFirst().first
            rest = rest.dropFirst(2)
        }
    }

    func value(_ name: String) -> String? { values[name] }
    var sessions: Int { value("sessions").flatMap(Int.init) ?? 4 }
    var episodes: Int { value("episodes").flatMap(Int.init) ?? 3 }

    /// Starts the server the command line names, or none for `url`.
    mutating func startServer() async throws -> LocalServerProcess? {
        var logger = Logger(label: "rollout.server")
        logger.logLevel = .warning
        switch kind {
        case "swift":
            // By default the openenv CLI built next to this executable.
            let here = CommandLine.arguments[0]
            let sibling = here.contains("/") ? String(here[..<here.lastIndex(of: "/")!]) + "/openenv" : "openenv"
            var provider = LocalProcessProvider.openenv(serving: "grid", executable: value("openenv") ?? sibling)
            provider.logger = logger
            return try await provider.start()
        case "python":
            guard let python = value("python") else { throw OptionError("python needs --python PATH (a Python with openenv 0.10.0)") }
            let provider = LocalProcessProvider(
                executable: python,
                arguments: [value("script") ?? "Tests/Interop/reference_env.py", "--env", "grid", "--host", "{host}", "--port", "{port}"],
                logger: logger)
            return try await provider.start()
        case "url":
            return nil
        default:
            throw OptionError("unknown server kind \(kind): use swift, python or url")
        }
    }
}

struct OptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

