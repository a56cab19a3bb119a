// swift-tools-version:6.2
// A user's package that serves the light environments: it depends on the server and on
// OpenEnvEnvironments only. Tests/Interop/test_light_package.py builds it in a clean scratch
// path and checks that nothing heavier (C libraries, HTTP clients, the sandbox, the MCP SDK,
// Yams, swift-crypto) was compiled, then drives it with the official client.
import PackageDescription

let package = Package(
    name: "light-server",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "swift-openenv", path: "../../..")],
    targets: [
        .executableTarget(
            name: "light-server",
            dependencies: [
                .product(name: "OpenEnvServer", package: "swift-openenv"),
                .product(name: "OpenEnvEnvironments", package: "swift-openenv"),
            ]
        )
    ]
)
