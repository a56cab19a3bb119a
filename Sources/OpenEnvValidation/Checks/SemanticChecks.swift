import OpenEnvCore

/// The semantic level: whether the environment is a usable RL task. Not implemented by
/// the reference (its semantic checks SKIP); these are swift-openenv's own, driven over
/// `/ws` with random valid actions drawn from `/schema` by a seeded generator.
enum SemanticChecks {
    struct Settings: Sendable {
        var rewardRange: ClosedRange<Double>
        var floorMargin: Double
        /// Declared by environments whose episodes vary under one seed: determinism is then
        /// judged on rewards within this tolerance, and seed sensitivity is not required.
        var varianceTolerance: Double?
        /// Random steps spent looking for `done` and measuring the reward floor.
        var budget: Int
        var seed: Int
        var maxSessions: Int?
    }

    /// One played episode: the `data` of the reset reply, then of each step reply.
    struct Trajectory: Sendable, Equatable {
        var frames: [JSONObject] = []
        var done: Bool { frames.last?["done"] == true }
        var stepRewards: [JSONValue] { frames.dropFirst().map { $0["reward"] ?? .null } }
    }

    struct EpisodeError: Error, CustomStringConvertible { var description: String }

    static func play(_ server: ServerUnderTest, on socket: ProbeSocket, seed: Int, episodeID: String, actions: [JSONValue]) async throws -> Trajectory {
        var trajectory = Trajectory()
        trajectory.frames.append(try observation(await socket.request(["type": "reset", "data": ["seed": .int(seed), "episode_id": .string(episodeID)]], timeout: server.timeout), "reset"))
        for action in actions where !trajectory.done {
            trajectory.frames.append(try observation(await socket.request(["type": "step", "data": action], timeout: server.timeout), "step \(JSONWriter().string(action))"))
        }
        return trajectory
    }

    static func play(_ server: ServerUnderTest, seed: Int, episodeID: String, actions: [JSONValue]) async throws -> Trajectory {
        try await server.withSession { socket in try await play(server, on: socket, seed: seed, episodeID: episodeID, actions: actions) }
    }

    private static func observation(_ reply: JSONValue, _ what: String) throws -> JSONObject {
        guard reply["type"] == "observation", let data = reply["data"]?.objectValue else {
            throw EpisodeError(description: "\(what) was answered with \(JSONWriter().string(reply).prefix(300))")
        }
        return data
    }

    static func run(_ server: ServerUnderTest, actions space: ActionSpace?, settings: Settings, into report: inout RunningEnvironmentReport) async {
        let determinismDescription = settings.varianceTolerance == nil
            ? "The same seed and actions give the same trajectory (observations, rewards, done) in two sessions"
            : "The same seed and actions give rewards within the declared variance_tolerance \(settings.varianceTolerance!) in two sessions"
        let sensitivityDescription = "Different seeds give different trajectories (the seed controls the episode)"
        let rangeDescription = "Every reward of random episodes is a finite number within the declared range [\(ManifestReader.format(settings.rewardRange.lowerBound)), \(ManifestReader.format(settings.rewardRange.upperBound))]"
        let doneDescription = "Random valid actions reach done within a budget of \(settings.budget) steps"
        let floorDescription = "Random and empty/no-op actions do not earn the maximum reward (the gap to it is at least floor_margin \(settings.floorMargin))"
        let isolationDescription = "An episode played while another session steps is identical to the same episode played alone (no state leaks between sessions)"
        let cleanupDescription = "Sessions opened and closed repeatedly leave no session behind"

        guard let space else {
            for (id, description) in [("semantic.seed_determinism", determinismDescription), ("semantic.seed_sensitivity", sensitivityDescription),
                                      ("semantic.reward_range", rangeDescription), ("semantic.done_reachable", doneDescription),
                                      ("semantic.floor_gap", floorDescription), ("semantic.episode_isolation", isolationDescription)] {
                report.append(.skipped(id, description, reason: "no action schema to build actions from"))
            }
            report.append(await cleanup(server, settings: settings, space: nil, description: cleanupDescription))
            return
        }
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: settings.seed) &+ 0x5EED)
        let actions = (0..<20).map { _ in space.random(using: &rng) }
        let episodeID = "openenv-validate-semantic"
        var rewards: [JSONValue] = []

        // Determinism under one seed.
        var deterministic = false
        var solo: Trajectory?
        do {
            let first = try await play(server, seed: settings.seed, episodeID: episodeID, actions: actions)
            let second = try await play(server, seed: settings.seed, episodeID: episodeID, actions: actions)
            solo = first
            rewards += first.stepRewards + second.stepRewards
            if let tolerance = settings.varianceTolerance {
                let a = first.stepRewards.map { $0.doubleValue ?? .nan }, b = second.stepRewards.map { $0.doubleValue ?? .nan }
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                deterministic = a.count == b.count && worst <= tolerance
                report.append(Criterion("semantic.seed_determinism", determinismDescription, passed: deterministic,
                    details: deterministic ? nil : "rewards of two episodes with seed \(settings.seed) differ by up to \(worst) (or in length)",
                    actual: ["steps": [.int(a.count), .int(b.count)], "largest_reward_difference": .double(worst.isFinite ? worst : -1)]))
            } else {
                deterministic = first == second
                let index = firstDifference(first, second)
                report.append(Criterion("semantic.seed_determinism", determinismDescription, passed: deterministic,
                    details: deterministic ? nil : "two episodes with seed \(settings.seed) and the same \(actions.count) actions differ at \(index == 0 ? "the reset" : "step \(index)"); declare validation.reward.variance_tolerance if the environment is meant to be nondeterministic",
                    expected: deterministic ? nil : index < first.frames.count ? .object(first.frames[index]) : nil,
                    actual: deterministic ? ["frames": .int(first.frames.count)] : index < second.frames.count ? .object(second.frames[index]) : nil))
            }
        } catch {
            report.append(Criterion("semantic.seed_determinism", determinismDescription, passed: false, details: "\(error)"))
        }

        // Seed sensitivity.
        if settings.varianceTolerance != nil {
            report.append(.skipped("semantic.seed_sensitivity", sensitivityDescription, reason: "the environment declares itself nondeterministic (validation.reward.variance_tolerance)"))
        } else if !deterministic || solo == nil {
            report.append(.skipped("semantic.seed_sensitivity", sensitivityDescription, reason: "unmet dependency: semantic.seed_determinism"))
        } else {
            var differing: Int?
            var tried: [JSONValue] = []
            do {
                for offset in 1...4 {
                    let seed = settings.seed + offset * 7919
                    tried.append(.int(seed))
                    let other = try await play(server, seed: seed, episodeID: episodeID, actions: actions)
                    rewards += other.stepRewards
                    if other != solo { differing = seed; break }
                }
                report.append(Criterion("semantic.seed_sensitivity", sensitivityDescription, passed: differing != nil,
                    details: differing == nil ? "seeds \(tried.map { JSONWriter().string($0) }.joined(separator: ", ")) all give the trajectory of seed \(settings.seed): the environment ignores the seed" : nil,
                    actual: ["base_seed": .int(settings.seed), "seeds_tried": .array(tried), "differing_seed": differing.map(JSONValue.int) ?? .null]))
            } catch {
                report.append(Criterion("semantic.seed_sensitivity", sensitivityDescription, passed: false, details: "\(error)"))
            }
        }

        // Random episodes within the budget: done, rewards, floor.
        var stepsTaken = 0
        var episodes = 0
        var doneSeen = false
        var randomRewards: [JSONValue] = []
        var failure: String?
        while stepsTaken < settings.budget {
            let plan = (0..<(settings.budget - stepsTaken)).map { _ in space.random(using: &rng) }
            do {
                let trajectory = try await play(server, seed: settings.seed + 1000 + episodes, episodeID: "openenv-validate-random-\(episodes)", actions: plan)
                episodes += 1
                stepsTaken += max(1, trajectory.frames.count - 1)
                randomRewards += trajectory.stepRewards
                if trajectory.done { doneSeen = true }
                if !trajectory.done { break }
            } catch {
                failure = "\(error)"
                break
            }
        }
        rewards += randomRewards
        let measured: JSONValue = ["episodes": .int(episodes), "steps": .int(stepsTaken)]
        if let failure {
            report.append(Criterion("semantic.done_reachable", doneDescription, passed: false, details: "a random episode failed: \(failure)", actual: measured))
        } else {
            report.append(Criterion("semantic.done_reachable", doneDescription, passed: doneSeen,
                details: doneSeen ? nil : "no observation had done: true after \(stepsTaken) random steps", actual: measured))
        }

        let outOfRange = rewards.enumerated().compactMap { index, reward -> String? in
            guard let value = reward.doubleValue else { return "reward \(JSONWriter().string(reward)) is not a number" }
            return value.isFinite && settings.rewardRange.contains(value) ? nil : "reward \(JSONWriter().string(reward)) is outside the range"
        }
        report.append(Criterion("semantic.reward_range", rangeDescription, passed: !rewards.isEmpty && outOfRange.isEmpty,
            details: rewards.isEmpty ? "no step rewards were observed" : outOfRange.isEmpty ? nil : Array(Set(outOfRange)).sorted().prefix(5).joined(separator: "\n"),
            expected: ["range": [.double(settings.rewardRange.lowerBound), .double(settings.rewardRange.upperBound)]],
            actual: ["rewards": .int(rewards.count), "bad": .int(outOfRange.count)]))

        report.append(await floorGap(server, space: space, randomRewards: randomRewards, settings: settings, description: floorDescription))

        // Isolation between sessions.
        if settings.varianceTolerance != nil {
            report.append(.skipped("semantic.episode_isolation", isolationDescription, reason: "the environment declares itself nondeterministic (validation.reward.variance_tolerance)"))
        } else if !deterministic || solo == nil {
            report.append(.skipped("semantic.episode_isolation", isolationDescription, reason: "unmet dependency: semantic.seed_determinism"))
        } else {
            let noise = (0..<actions.count).map { _ in space.random(using: &rng) }
            do {
                let interleaved = try await server.withSession { x in
                    try await server.withSession { y in
                        var trajectory = Trajectory()
                        _ = try observation(await y.request(["type": "reset", "data": ["seed": .int(settings.seed + 31), "episode_id": "openenv-validate-other"]], timeout: server.timeout), "reset")
                        trajectory.frames.append(try observation(await x.request(["type": "reset", "data": ["seed": .int(settings.seed), "episode_id": .string(episodeID)]], timeout: server.timeout), "reset"))
                        var otherDone = false
                        for (action, other) in zip(actions, noise) where !trajectory.done {
                            if !otherDone {
                                let reply = try await y.request(["type": "step", "data": other], timeout: server.timeout)
                                otherDone = reply["data"]?["done"] == true
                            }
                            trajectory.frames.append(try observation(await x.request(["type": "step", "data": action], timeout: server.timeout), "step"))
                        }
                        return trajectory
                    }
                }
                let same = interleaved == solo
                let index = firstDifference(solo!, interleaved)
                report.append(Criterion("semantic.episode_isolation", isolationDescription, passed: same,
                    details: same ? nil : "with another session stepping in between, the episode differs at \(index == 0 ? "the reset" : "step \(index)"): state leaks between sessions",
                    expected: same || index >= solo!.frames.count ? nil : .object(solo!.frames[index]),
                    actual: same ? ["frames": .int(interleaved.frames.count)] : index < interleaved.frames.count ? .object(interleaved.frames[index]) : nil))
            } catch {
                report.append(Criterion("semantic.episode_isolation", isolationDescription, passed: false, details: "\(error)"))
            }
        }

        report.append(await cleanup(server, settings: settings, space: space, description: cleanupDescription))
    }

    /// The index of the first frame where two trajectories differ (the shorter one's length
    /// when one is a prefix of the other).
    static func firstDifference(_ a: Trajectory, _ b: Trajectory) -> Int {
        (0..<min(a.frames.count, b.frames.count)).first { a.frames[$0] != b.frames[$0] } ?? min(a.frames.count, b.frames.count)
    }

    static func floorGap(_ server: ServerUnderTest, space: ActionSpace, randomRewards: [JSONValue], settings: Settings, description: String) async -> Criterion {
        let id = "semantic.floor_gap"
        let maximum = settings.rewardRange.upperBound
        let ceiling = maximum - settings.floorMargin
        var problems: [String] = []
        var empties: [JSONValue] = []
        for action in space.emptyActions {
            do {
                let reply = try await server.withSession { socket in
                    _ = try observation(await socket.request(["type": "reset", "data": ["seed": .int(settings.seed), "episode_id": "openenv-validate-noop"]], timeout: server.timeout), "reset")
                    return try await socket.request(["type": "step", "data": action], timeout: server.timeout)
                }
                let reward = reply["type"] == "observation" ? reply["data"]?["reward"] ?? .null : .null
                empties.append(["action": action, "accepted": .bool(reply["type"] == "observation"), "reward": reward])
                if let value = reward.doubleValue, value > ceiling {
                    problems.append("the empty/no-op action \(JSONWriter().string(action)) earned reward \(JSONWriter().string(reward)) (maximum \(ManifestReader.format(maximum)))")
                }
            } catch {
                problems.append("the empty/no-op action \(JSONWriter().string(action)) could not be tried: \(error)")
            }
        }
        let numbers = randomRewards.compactMap(\.doubleValue)
        let floor = numbers.isEmpty ? nil : numbers.reduce(0, +) / Double(numbers.count)
        if let floor, floor > ceiling {
            problems.append("random actions earn \(floor) per step on average, within floor_margin \(settings.floorMargin) of the maximum \(ManifestReader.format(maximum))")
        }
        let actual: JSONValue = ["random_mean_step_reward": floor.map(JSONValue.double) ?? .null, "random_steps": .int(numbers.count), "empty_actions": .array(empties)]
        if floor == nil && problems.isEmpty && empties.allSatisfy({ $0["reward"]?.doubleValue == nil }) {
            return .skipped(id, description, reason: "no numeric rewards were observed")
        }
        return Criterion(id, description, passed: problems.isEmpty, details: problems.isEmpty ? nil : problems.joined(separator: "\n"),
                         expected: ["at_most": .double(ceiling)], actual: actual)
    }

    static func cleanup(_ server: ServerUnderTest, settings: Settings, space: ActionSpace?, description: String) async -> Criterion {
        let id = "semantic.session_cleanup"
        let baseline = await server.readiness()
        guard baseline != nil || settings.maxSessions != nil else {
            return .skipped(id, description, reason: "the server has no GET /ready to count sessions; pass --max-sessions N to cycle past the limit instead")
        }
        let cycles = baseline == nil ? settings.maxSessions! + 2 : 10
        var rng = SplitMix64(seed: 99)
        for cycle in 0..<cycles {
            var attempt = 0
            while true {
                do {
                    let action = space?.random(using: &rng)
                    let refused: Bool = try await server.withSession { socket in
                        let reply = try await socket.request(["type": "reset", "data": ["episode_id": .string("openenv-validate-cycle-\(cycle)")]], timeout: server.timeout)
                        if reply["type"] == "error", reply["data"]?["code"] == "CAPACITY_REACHED" { return true }
                        if let action { _ = try await socket.request(["type": "step", "data": action], timeout: server.timeout) }
                        _ = await socket.send(["type": "close"])
                        _ = await socket.next(timeout: server.timeout)
                        return false
                    }
                    if !refused { break }
                } catch {
                    if attempt >= 10 { return Criterion(id, description, passed: false, details: "cycle \(cycle + 1) failed: \(error)") }
                }
                attempt += 1
                if attempt > 10 {
                    return Criterion(id, description, passed: false, details: "cycle \(cycle + 1) of \(cycles) was refused with CAPACITY_REACHED: closed sessions were not released",
                                     actual: ["cycles_completed": .int(cycle)])
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        guard let baseline else {
            return Criterion(id, description, passed: true, details: "no GET /ready; \(cycles) sessions opened and closed one after another past the limit of \(settings.maxSessions!)",
                             actual: ["cycles": .int(cycles)])
        }
        let after = await server.settle(toAtMost: baseline.active) ?? -1
        return Criterion(id, description, passed: after <= baseline.active,
            details: after <= baseline.active ? nil : "after \(cycles) open/close cycles /ready reports \(after) active sessions, \(baseline.active) before",
            expected: ["active_sessions": .int(baseline.active)], actual: ["active_sessions": .int(after), "cycles": .int(cycles)])
    }
}
