// swift-tools-version:6.2
import PackageDescription

/// Nonisolated async functions run on their caller's executor instead of hopping to the
/// global pool: a step stays on its connection's event loop (see EventLoopTaskExecutor).
let fastAsync: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "swift-openenv",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "OpenEnvCore", targets: ["OpenEnvCore"]),
        .library(name: "OpenEnvServer", targets: ["OpenEnvServer"]),
        .library(name: "OpenEnvEnvironments", targets: ["OpenEnvEnvironments"]),
        .library(name: "OpenEnvQA", targets: ["OpenEnvQA"]),
        .library(name: "OpenEnvCoding", targets: ["OpenEnvCoding"]),
        .library(name: "OpenEnvBrowser", targets: ["OpenEnvBrowser"]),
        .library(name: "OpenEnvCatalog", targets: ["OpenEnvCatalog"]),
        .library(name: "OpenEnvChatClient", targets: ["OpenEnvChatClient"]),
        .executable(name: "openenv", targets: ["openenv"]),
        .library(name: "OpenEnvBench", targets: ["OpenEnvBench"]),
        .library(name: "OpenEnvRollouts", targets: ["OpenEnvRollouts"]),
        .library(name: "OpenEnvClient", targets: ["OpenEnvClient"]),
        .library(name: "OpenEnvValidation", targets: ["OpenEnvValidation"]),
        .library(name: "OpenEnvCLI", targets: ["OpenEnvCLI"]),
        .executable(name: "rollout-example", targets: ["rollout-example"]),
        .library(name: "OpenEnvSandbox", targets: ["OpenEnvSandbox"]),
        .executable(name: "openenv-sandbox-bench", targets: ["openenv-sandbox-bench"]),
        .library(name: "OpenEnvBridge", targets: ["OpenEnvBridge"]),
        .library(name: "OpenEnvRewards", targets: ["OpenEnvRewards"]),
        .library(name: "OpenEnvTasks", targets: ["OpenEnvTasks"]),
        .library(name: "OpenEnvParquet", targets: ["OpenEnvParquet"]),
        .library(name: "OpenEnvAgents", targets: ["OpenEnvAgents"]),
        .library(name: "OpenEnvOTel", targets: ["OpenEnvOTel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Tracing: the server speaks swift-distributed-tracing's API only; swift-otel (OTLP/HTTP
        // only: its gRPC exporter would add grpc-swift to the build) is linked by `openenv` alone.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(name: "OpenEnvCore", swiftSettings: fastAsync),
        .target(
            name: "OpenEnvServer",
            dependencies: [
                "OpenEnvCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // /metrics: swift-metrics' API over a swift-prometheus registry (both light:
                // swift-atomics is their only other dependency).
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Spans of resets, steps and tool calls (ServerConfiguration.tracing): the API only.
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // The /web page: one HTML file, compiled into the binary (no files to install).
            resources: [.embedInCode("Web/WebPage.html")],
            swiftSettings: fastAsync
        ),
        // The OTLP exporter behind ServerConfiguration.tracing (OTEL_* variables): swift-otel,
        // a build of several minutes, paid only by what links this target (`openenv`).
        .target(
            name: "OpenEnvOTel",
            dependencies: [
                "OpenEnvServer",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Environments, each target as heavy as what it needs: echo and grid on Core alone;
        // qa with the tasksets; coding and terminal with the sandbox. The mcp-bridge entry lives
        // in OpenEnvBridge and the agent harness in OpenEnvAgents; OpenEnvCatalog lists them all.
        .target(
            name: "OpenEnvEnvironments", dependencies: ["OpenEnvCore"],
            // Wordle's word lists (scripts/wordle-words), compiled into the binary.
            resources: [
                .embedInCode("Games/TextArena/wordle-secrets.txt"),
                .embedInCode("Games/TextArena/wordle-guesses.txt"),
            ],
            // Their calls run where the server calls them (an event loop), not after a hop.
            swiftSettings: fastAsync),
        .target(name: "OpenEnvQA", dependencies: ["OpenEnvCore", "OpenEnvChatClient", "OpenEnvRewards", "OpenEnvTasks"], resources: [.copy("Dataset")]),
        .target(name: "OpenEnvCoding", dependencies: ["OpenEnvCore", "OpenEnvSandbox"], resources: [.copy("Drivers")]),
        // browser: Chromium over the DevTools Protocol (our CDP client on swift-websocket's
        // WSClient), started as an unprivileged uid through the sandbox's spawner; MiniWoB++
        // pages served on loopback by a small NIO file server. Resources: the page-side JS.
        .target(
            name: "OpenEnvBrowser",
            dependencies: [
                "OpenEnvCore", "OpenEnvSandbox",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Page")]
        ),
        .target(name: "OpenEnvCatalog", dependencies: ["OpenEnvCore", "OpenEnvEnvironments", "OpenEnvQA", "OpenEnvCoding", "OpenEnvBrowser", "OpenEnvBridge", "OpenEnvAgents"]),
        // An OpenAI-compatible chat-completions client (retries, deadlines, a shared bound on
        // requests in flight): the judge's and the agent's.
        .target(
            name: "OpenEnvChatClient",
            dependencies: [
                "OpenEnvCore", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(name: "OpenEnvRewards", dependencies: ["OpenEnvCore", "OpenEnvChatClient"]),
        // Apache Parquet in Swift; gzip and zstd pages use the system's zlib and libzstd,
        // loaded at run time, so no target needs a C header or a -dev package.
        .target(name: "OpenEnvParquet", dependencies: ["OpenEnvCore"]),
        // The one shared HTTPClient (fail-fast connections, no redirects) of every module that speaks HTTP.
        .target(name: "OpenEnvHTTP", dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .target(
            name: "OpenEnvTasks",
            dependencies: [
                "OpenEnvCore", "OpenEnvParquet", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "OpenEnvBridge",
            dependencies: [
                "OpenEnvCore", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .target(name: "CSandboxSpawn"),
        .target(
            name: "OpenEnvSandbox",
            dependencies: ["CSandboxSpawn", "OpenEnvCore", .product(name: "CoreMetrics", package: "swift-metrics")]),
        .executableTarget(name: "openenv-sandbox-bench", dependencies: ["OpenEnvSandbox", "OpenEnvCoding", "OpenEnvCore"]),
        .target(name: "OpenEnvRollouts", dependencies: ["OpenEnvCore", "OpenEnvClient", "OpenEnvAgents"]),
        .target(name: "OpenEnvAgents", dependencies: ["OpenEnvCore", "OpenEnvChatClient"]),
        .target(
            name: "OpenEnvBench",
            dependencies: [
                "OpenEnvCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "openenv",
            dependencies: [
                "OpenEnvCLI",
                "OpenEnvCore", "OpenEnvServer", "OpenEnvCatalog", "OpenEnvBench", "OpenEnvRollouts", "OpenEnvAgents", "OpenEnvChatClient",
                "OpenEnvOTel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OpenEnvClient",
            dependencies: [
                "OpenEnvCore", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // Coverage-guided fuzz targets (Fuzz/OpenEnvFuzz.swift); an ordinary build replays files.
        .executableTarget(
            name: "openenv-fuzz",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Fuzz",
            exclude: ["Corpus"]
        ),
        .executableTarget(
            name: "rollout-example",
            dependencies: [
                "OpenEnvClient", "OpenEnvCore", "OpenEnvEnvironments",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/Rollout"
        ),
        // `openenv gateway`: one URL in front of many servers (SwiftNIO relays, AsyncHTTPClient
        // for proxied HTTP and health checks).
        .target(
            name: "OpenEnvGateway",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "OpenEnvGatewayTests",
            dependencies: [
                "OpenEnvGateway", "OpenEnvClient", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvTestSupport", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .target(
            name: "OpenEnvCLI",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", "OpenEnvBench", "OpenEnvValidation", "OpenEnvHTTP", "OpenEnvGateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "OpenEnvValidation",
            dependencies: [
                "OpenEnvCore", "OpenEnvHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(name: "OpenEnvCoreTests", dependencies: ["OpenEnvCore", "OpenEnvEnvironments"]),
        .testTarget(
            name: "OpenEnvRolloutsTests",
            dependencies: ["OpenEnvRollouts", "OpenEnvClient", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvQA", "OpenEnvTestSupport"]
        ),
        .testTarget(
            name: "OpenEnvAgentsTests",
            dependencies: [
                "OpenEnvAgents", "OpenEnvRollouts", "OpenEnvClient", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvQA", "OpenEnvChatClient",
                "OpenEnvTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .target(
            name: "OpenEnvTestSupport",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "OpenEnvRewardsTests",
            dependencies: [
                "OpenEnvRewards", "OpenEnvChatClient", "OpenEnvCore", "OpenEnvServer", "OpenEnvTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "OpenEnvTasksTests",
            dependencies: [
                "OpenEnvTasks", "OpenEnvParquet", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvQA", "OpenEnvRewards", "OpenEnvTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Fixtures/write_parquet.py"]  // run by the tests with the interop venv's Python
        ),
        .testTarget(
            name: "OpenEnvBridgeTests",
            dependencies: [
                "OpenEnvBridge", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "OpenEnvMCPTests",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        .testTarget(name: "OpenEnvSandboxTests", dependencies: ["OpenEnvSandbox", "OpenEnvCoding", "OpenEnvCore"]),
        .testTarget(name: "OpenEnvBrowserTests", dependencies: ["OpenEnvBrowser", "OpenEnvCore"]),
        .testTarget(
            name: "OpenEnvBenchTests",
            dependencies: [
                "OpenEnvBench", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvTestSupport",
            ]
        ),
        .testTarget(
            name: "OpenEnvServerTests",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvAgents", "OpenEnvChatClient", "OpenEnvTestSupport",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "OpenEnvClientTests",
            dependencies: [
                "OpenEnvClient", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "OpenEnvCLITests",
            // openenv: its collect/eval options (`@testable import` of the executable).
            dependencies: [
                "OpenEnvCLI", "OpenEnvCore", "OpenEnvServer", "OpenEnvValidation", "openenv",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "OpenEnvValidationTests",
            dependencies: ["OpenEnvValidation", "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments", "OpenEnvClient", "OpenEnvTestSupport"]
        ),
    ]
)
