import Foundation

/// The files of a new Swift environment package (`openenv init`): one environment file,
/// a one-line executable with the OpenEnv commands, a test, `openenv.yaml` with a
/// `validation:` block and a runtime plan, a Space README, a Dockerfile, `.gitignore` and
/// `.dockerignore`.
///
/// The environment it starts from is a small, complete task (guess a number from 0 to 10
/// with hints) that passes `openenv validate --level semantic`, so the package works before
/// it is edited.
public struct PackageTemplate: Sendable {
    /// Where the package gets swift-openenv from.
    public enum Dependency: Sendable, Equatable {
        /// A local checkout (its directory).
        case path(String)
        /// A published repository, tracked at its `main` branch.
        case url(String)
    }

    /// The environment's name: lowercase letters, digits, `_` and `-`, starting with a letter.
    public let name: String
    public let dependency: Dependency

    /// `guess_number` → `GuessNumber`: the Swift module of the environment.
    public var moduleName: String {
        name.split(whereSeparator: { $0 == "_" || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    public struct InvalidName: Error, CustomStringConvertible { public var description: String }

    /// Checks `name`; the error says what a valid name looks like.
    public init(name: String, dependency: Dependency) throws(InvalidName) {
        guard name.range(of: #"^[a-z][a-z0-9]*([_-][a-z0-9]+)*$"#, options: .regularExpression) != nil, name.count <= 64 else {
            throw InvalidName(description: "invalid environment name '\(name)': use lowercase letters, digits, and single '_' or '-' between words, starting with a letter (e.g. guess_number), at most 64 characters")
        }
        let module = name.split(whereSeparator: { $0 == "_" || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        guard !module.hasPrefix("OpenEnv"), !["Foundation", "Testing", "Swift", "Dispatch"].contains(module) else {
            throw InvalidName(description: "invalid environment name '\(name)': its module name \(module) clashes with a module it depends on")
        }
        self.name = name
        self.dependency = dependency
    }

    /// The package's identity in SwiftPM (what `.product(package:)` names).
    var dependencyIdentity: String {
        switch dependency {
        case .path(let path): return URL(fileURLWithPath: path).lastPathComponent.lowercased()
        case .url(let url):
            var last = url.split(separator: "/").last.map(String.init) ?? "swift-openenv"
            if last.hasSuffix(".git") { last.removeLast(4) }
            return last.lowercased()
        }
    }

    /// Relative path → contents.
    public var files: [(path: String, contents: String)] {
        [
            ("Package.swift", packageSwift),
            ("Sources/\(moduleName)/\(moduleName)Environment.swift", environmentSwift),
            ("Sources/\(name)/\(moduleName)CLI.swift", executableSwift),
            ("Tests/\(moduleName)Tests/\(moduleName)Tests.swift", testSwift),
            ("openenv.yaml", manifest),
            ("validation/runtime.json", runtimePlan),
            ("README.md", readme),
            ("Dockerfile", ContainerBuild.dockerfile(executable: name, port: 8000)),
            (".gitignore", ".build/\n.build-*/\n.swiftpm/\n.openenv-build/\nPackage.resolved\n"),
            (".dockerignore", ".build/\n.build-*/\n.swiftpm/\n.openenv-build/\n"),
        ]
    }

    /// Writes the package into `directory`, which must be missing or empty.
    public func write(to directory: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw InvalidName(description: "\(directory) exists and is not a directory") }
            let entries = try fm.contentsOfDirectory(atPath: directory)
            guard entries.isEmpty else {
                throw InvalidName(description: "\(directory) is not empty (it holds \(entries.sorted().first!)\(entries.count > 1 ? " and \(entries.count - 1) more" : "")); choose a new or empty directory with --output")
            }
        }
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file.path)
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    // MARK: Files

    var packageSwift: String {
        let dependencyLine = switch dependency {
        case .path(let path): #".package(path: "\#(path)")"#
        case .url(let url): #".package(url: "\#(url)", branch: "main")"#
        }
        let package = dependencyIdentity
        return """
            // swift-tools-version:6.2
            import PackageDescription

            let package = Package(
                name: "\(name)",
                platforms: [.macOS(.v15)],
                products: [.executable(name: "\(name)", targets: ["\(name)"])],
                dependencies: [\(dependencyLine)],
                targets: [
                    // The environment: the one file to edit.
                    .target(name: "\(moduleName)", dependencies: [.product(name: "OpenEnvCore", package: "\(package)")]),
                    // `\(name) serve | validate | bench | list`: the OpenEnv command line over it.
                    .executableTarget(name: "\(name)", dependencies: ["\(moduleName)", .product(name: "OpenEnvCLI", package: "\(package)")]),
                    .testTarget(
                        name: "\(moduleName)Tests",
                        dependencies: [
                            "\(moduleName)",
                            .product(name: "OpenEnvServer", package: "\(package)"),
                            .product(name: "OpenEnvValidation", package: "\(package)"),
                        ]
                    ),
                ]
            )

            """
    }

    var environmentSwift: String {
        """
        import OpenEnvCore

        /// \(moduleName): guess a secret number from 0 to 10 in at most 20 guesses; every
        /// wrong guess gets a hint. Reward 1.0 and done for the right number, 0.0 otherwise.
        ///
        /// This is the file to edit. Actions, observations and state are plain `Codable`
        /// types: `/schema` is derived from them, unknown action keys are refused, and
        /// `camelCase` names travel as `snake_case`. Keep `reset(seed:)` deterministic for a
        /// given seed (`openenv validate --level semantic` checks it).
        ///
        /// Calls run on the server's step thread pool (the default `ExecutionPolicy`), so a
        /// step may block or compute for long without delaying other sessions. Only when every
        /// call returns in microseconds and never blocks, declare
        /// `public static let execution = ExecutionPolicy.eventLoop` to save a thread hop.
        public actor \(moduleName)Environment: Environment {
            public struct Action: Codable, Sendable {
                /// The number guessed.
                public var guess: Int
                public init(guess: Int) { self.guess = guess }
            }

            public struct Observation: Codable, Sendable {
                /// "start", "higher", "lower" or "correct".
                public var hint: String
                public var guesses: Int
            }

            public static let info = EnvironmentInfo(
                name: "\(moduleName)Environment", envName: "\(name)", description: "Guess a number from 0 to 10; wrong guesses get a hint.")
            public static let maxGuesses = 20

            public private(set) var state = BasicState()
            private var secret = 0

            public init() {}

            public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
                if let seed {
                    var generator = SeededGenerator(seed: UInt64(truncatingIfNeeded: seed))
                    secret = Int(generator.next() % 11)
                } else {
                    secret = Int.random(in: 0...10)
                }
                state = BasicState(episodeID: episodeID ?? UUIDString.random())
                return StepResult(Observation(hint: "start", guesses: 0), reward: 0.0)
            }

            public func step(_ action: Action) async throws -> StepResult<Observation> {
                state.stepCount += 1
                if action.guess == secret {
                    return StepResult(Observation(hint: "correct", guesses: state.stepCount), reward: 1.0, done: true)
                }
                let hint = action.guess < secret ? "higher" : "lower"
                return StepResult(Observation(hint: hint, guesses: state.stepCount), reward: 0.0, done: state.stepCount >= Self.maxGuesses)
            }
        }

        /// SplitMix64: the same seed gives the same episode on every machine.
        struct SeededGenerator: RandomNumberGenerator {
            private var state: UInt64
            init(seed: UInt64) { state = seed }
            mutating func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
        }

        """
    }

    var executableSwift: String {
        """
        import OpenEnvCLI
        import \(moduleName)

        /// `\(name) serve`, `validate`, `bench`, `list`: the OpenEnv command line over this package's environment.
        @main
        struct \(moduleName)CLI {
            static func main() async {
                await OpenEnvCommandLine.main(environments: [
                    EnvironmentEntry(name: "\(name)", kind: .typed, factory: EnvironmentFactory { \(moduleName)Environment() }),
                ])
            }
        }

        """
    }

    var testSwift: String {
        """
        import Logging
        import OpenEnvCore
        import OpenEnvServer
        import OpenEnvValidation
        import Testing

        @testable import \(moduleName)

        @Suite struct \(moduleName)Tests {
            @Test func aCorrectGuessEndsTheEpisodeWithRewardOne() async throws {
                let environment = \(moduleName)Environment()
                _ = try await environment.reset(seed: 7, episodeID: "episode-1", options: [:])
                var last: StepResult<\(moduleName)Environment.Observation>?
                for guess in 0...10 {
                    last = try await environment.step(.init(guess: guess))
                    if last?.done == true { break }
                }
                #expect(last?.observation.hint == "correct")
                #expect(last?.reward == 1.0)
                #expect(await environment.state.episodeID == "episode-1")
            }

            /// Serves the environment on a free loopback port and runs every level of
            /// `openenv validate` against it.
            @Test func passesOpenEnvValidate() async throws {
                var logger = Logger(label: "test")
                logger.logLevel = .critical
                let server = OpenEnvServer(
                    factory: EnvironmentFactory { \(moduleName)Environment() },
                    configuration: ServerConfiguration(host: "127.0.0.1", port: 0, maxSessions: 4), logger: logger)
                let report = try await server.withRunning { port in
                    try await Validator.validate(url: "http://127.0.0.1:\\(port)", options: ValidationOptions(level: .semantic))
                }
                #expect(report.passed, "\\(report.text)")
            }
        }

        """
    }

    var manifest: String {
        """
        spec_version: 1
        name: \(name)
        version: "0.1.0"
        type: space
        runtime: swift
        app: \(name) serve
        port: 8000
        variables: {}
        validation:
          reward:
            range: [0.0, 1.0]
            oracle_tolerance: 0.0
            floor_margin: 0.5
          resources:
            cpu: 1
            memory_mb: 512
            disk_mb: 512
            episode_timeout_s: 60
          capabilities:
            verifier:
              kind: reward_channel
          types:
            tags: [toy]
          execution:
            kind: openenv_ws
            probe_path: validation/runtime.json
            dockerfile: Dockerfile

        """
    }

    var runtimePlan: String {
        """
        {
          "plan_schema_version": "1",
          "reset": {"episode_id": "\(name)-validation", "seed": 7},
          "actions": [{"guess": 0}, {"guess": 5}, {"guess": 10}, {"guess": 3}, {"guess": 7}]
        }

        """
    }

    var readme: String {
        let title = name.split(whereSeparator: { $0 == "_" || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        return """
            ---
            title: \(title)
            emoji: 🎯
            colorFrom: blue
            colorTo: green
            sdk: docker
            app_port: 8000
            tags:
              - openenv
            ---

            # \(title)

            An [OpenEnv](https://github.com/huggingface/OpenEnv) environment written in Swift with
            swift-openenv: guess a number from 0 to 10, with a hint after each wrong guess.

            | | |
            |---|---|
            | action | `{"guess": 4}` |
            | observation | `{"hint": "higher", "guesses": 1}` (`start`, `higher`, `lower`, `correct`) |
            | reward | 1.0 and done for the right number, else 0.0; done after 20 guesses |

            ```bash
            swift build                                   # the environment and its command line
            swift run \(name) serve --port 8000            # serve it (any OpenEnv client can connect)
            swift run \(name) validate --url http://127.0.0.1:8000 --level semantic
            swift test                                    # unit test + the same validation in-process
            ```

            The environment is `Sources/\(moduleName)/\(moduleName)Environment.swift`. `openenv build`
            makes the container image (Dockerfile, port 8000, `/health` checked), `openenv push
            --repo-id OWNER/NAME` publishes it as a Hugging Face Space.

            """
    }
}
