import OpenEnvBench
import OpenEnvCore
import OpenEnvEnvironments
import OpenEnvServer
import OpenEnvTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A server on a free port for `body`, which gets its base URL.
private func withServer<T: Sendable>(
    _ factory: EnvironmentFactory, maxSessions: Int? = nil, _ body: @Sendable (String) async throws -> T
) async throws -> T {
    try await withInProcessServer(factory, configuration: ServerConfiguration(maxSessions: maxSessions)) { port in
        try await body("http://127.0.0.1:\(port)")
    }
}

@Suite(.serialized) struct BenchmarkTests {
    @Test func refusesTargetsOffThisMachine() throws {
        #expect(throws: BenchError.self) { try BenchTarget(url: "http://10.0.0.1:8000") }
        #expect(throws: BenchError.self) { try BenchTarget(url: "https://127.0.0.1:8000") }
        #expect(throws: BenchError.self) { try BenchTarget(url: "http://example.com:80") }
        #expect(try BenchTarget(url: "http://127.0.0.1:8000/").port == 8000)
    }

    @Test func webSocketRunCompletesEveryStepAndMeasuresTheServer() async throws {
        let result = try await withServer(EnvironmentFactory { GridEnvironment() }) { url in
            try await Benchmark.run(BenchConfiguration(
                target: try BenchTarget(url: url), mode: .ws, concurrency: 4, steps: 50, warmup: 2, serverPID: getpid()))
        }
        #expect(result.completedSteps == 200 && result.latency.count == 200)
        #expect(result.errors == 0 && result.refused == 0)
        #expect(result.latency.p50 > 0 && result.latency.p50 <= result.latency.p99 && result.latency.p99 <= result.latency.max)
        #expect(result.serverCPUMillisecondsPerStep != nil && result.serverRSSBytes ?? 0 > 0)
        #expect(result.action == ["action": "UP"], "the default action comes from /schema")
    }

    @Test func vectorSessionsCountEnvironmentSteps() async throws {
        // A plain /ws session would answer `{"actions": [...]}` with a validation error, so
        // zero errors shows the server took each message as 64 environment steps.
        let results = try await withServer(EnvironmentFactory { GridEnvironment() }, maxSessions: 128) { url in
            var valid = BenchConfiguration(target: try BenchTarget(url: url), mode: .ws, concurrency: 2, steps: 10, warmup: 1)
            valid.numEnvs = 64
            var invalid = valid
            invalid.action = ["action": "SIDEWAYS"]
            return (try await Benchmark.run(valid), try await Benchmark.run(invalid))
        }
        #expect(results.0.errors == 0 && results.0.latency.count == 20)
        #expect(results.0.completedSteps == 2 * 10 * 64 && results.0.environmentsPerMessage == 64)
        #expect(results.0.json["num_envs"] == 64)
        #expect(results.1.errors == 2 * (10 + 1), "every message holding an invalid action is an error reply, warm-up included")
        #expect(results.1.errorSample?.contains("Invalid action of environment 0") == true)
    }

    @Test func httpRunsWorkStatelessAndWithSessions() async throws {
        try await withServer(EnvironmentFactory { EchoEnvironment() }) { url in
            for sessions in [false, true] {
                var configuration = BenchConfiguration(target: try BenchTarget(url: url), mode: .http, concurrency: 3, steps: 20)
                configuration.httpSessions = sessions
                let result = try await Benchmark.run(configuration)
                #expect(result.completedSteps == 60 && result.errors == 0)
                #expect(result.action["tool_name"] == "echo_message", "MCP environments get a call of their first tool")
            }
        }
    }

    @Test func errorRepliesAreCountedNotHidden() async throws {
        let result = try await withServer(EnvironmentFactory { GridEnvironment() }) { url in
            try await Benchmark.run(BenchConfiguration(
                target: try BenchTarget(url: url), mode: .ws, concurrency: 2, steps: 5, action: ["action": "SIDEWAYS"]))
        }
        #expect(result.errors == 10)
        #expect(result.errorSample?.contains("VALIDATION_ERROR") == true)
    }

    @Test func holdCountsRefusalsPastTheLimit() async throws {
        let result = try await withServer(EnvironmentFactory { GridEnvironment() }, maxSessions: 5) { url in
            try await Benchmark.run(BenchConfiguration(
                target: try BenchTarget(url: url), mode: .hold, concurrency: 8, steps: 1, serverPID: getpid()))
        }
        #expect(result.refused == 3)
        #expect(result.completedSteps == 5, "every held session answers one step")
        #expect(result.holdRSS != nil)
    }
}
