import AsyncHTTPClient
import NIOCore
import OpenEnvCore
import OpenEnvServer
import OpenEnvTestSupport
import Testing

/// An environment that pays whatever reward its action asks for.
actor Payout: Environment {
    struct Action: Codable, Sendable { var reward: Double }
    static let info = EnvironmentInfo(name: "Payout", envName: "payout", description: "pays the asked reward", rewardRange: 0...1)
    private(set) var state = BasicState()

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<EmptyObservation> {
        state = BasicState(episodeID: episodeID ?? "e")
        return StepResult(EmptyObservation(), reward: options["reward"].flatMap(\.doubleValue).map(Reward.double))
    }

    func step(_ action: Action) async throws -> StepResult<EmptyObservation> {
        state.stepCount += 1
        return StepResult(EmptyObservation(), reward: .double(action.reward))
    }
}

/// The same, with no declared range.
actor UnboundedPayout: Environment {
    struct Action: Codable, Sendable { var reward: Double }
    static let info = EnvironmentInfo(name: "UnboundedPayout", envName: "unbounded", description: "pays anything")
    private(set) var state = BasicState()

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<EmptyObservation> {
        StepResult(EmptyObservation(), reward: .double(.nan))
    }

    func step(_ action: Action) async throws -> StepResult<EmptyObservation> {
        StepResult(EmptyObservation(), reward: .double(action.reward))
    }
}

@Suite struct RewardCheckTests {
    @Test func rewardsOutsideTheDeclaredRangeAreNeverSent() async throws {
        let env = try await EnvironmentFactory { Payout() }.make()
        #expect(try await env.reset([:]).reward == nil)
        #expect(try await env.step(["reward": 0.25]).reward == .double(0.25))
        #expect(try await env.step(["reward": 1]).reward == .double(1))
        await #expect(throws: RewardError.outOfRange(1.5, 0...1)) { try await env.step(["reward": 1.5]) }
        await #expect(throws: RewardError.outOfRange(-2, 0...1)) { try await env.reset(["reward": -2]) }
    }

    @Test func nonFiniteRewardsAreRefusedEvenWithoutARange() async throws {
        let env = try await EnvironmentFactory { UnboundedPayout() }.make()
        #expect(try await env.step(["reward": 1e9]).reward == .double(1e9))
        await #expect {
            try await env.reset([:])
        } throws: { error in
            guard case .nonFinite(let value)? = error as? RewardError else { return false }
            return value.isNaN
        }
        #expect(throws: RewardError.nonFinite(.infinity)) { try RewardError.check(.double(.infinity), range: nil) }
        #expect(throws: Never.self) { try RewardError.check(.bool(true), range: 0...1) }
        #expect(throws: RewardError.outOfRange(3, 0...1)) { try RewardError.check(.int(3), range: 0...1) }
    }

    @Test func aBadRewardReachesHTTPClientsAsAnErrorNotANumber() async throws {
        try await withInProcessServer(EnvironmentFactory { Payout() }) { port in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/step")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"action":{"reward":7}}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status.code == 500)
            #expect(body.contains("outside its declared range 0.0...1.0"), "\(body)")
        }
    }
}
