// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "swift-openenv",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "OpenEnvCore", targets: ["OpenEnvCore"]),
        .library(name: "OpenEnvServer", targets: ["OpenEnvServer"]),
        .library(name: "OpenEnvEnvironments", targets: ["OpenEnvEnvironments"]),
        .executable(name: "openenv", targets: ["openenv"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(name: "OpenEnvCore"),
        .target(
            name: "OpenEnvServer",
            dependencies: [
                "OpenEnvCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "OpenEnvEnvironments", dependencies: ["OpenEnvCore"]),
        .executableTarget(
            name: "openenv",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "OpenEnvCoreTests", dependencies: ["OpenEnvCore", "OpenEnvEnvironments"]),
        .testTarget(
            name: "OpenEnvServerTests",
            dependencies: [
                "OpenEnvCore", "OpenEnvServer", "OpenEnvEnvironments",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
    ]
)
