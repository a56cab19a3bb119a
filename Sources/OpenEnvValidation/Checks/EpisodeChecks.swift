import OpenEnvCore

/// The runtime level (spec §9.5): one planned episode over a single `/ws` session —
/// reset with the plan's episode id and seed, `state`, then `step` + `state` per action
/// until `done` — recorded raw and graded like the reference's runtime graders:
/// `runtime.observation_schema`, `runtime.state_contract`, `runtime.reward_well_formed`.
/// `runtime.startup` says whether the episode could be played at all.
enum EpisodeChecks {
    struct Exchange: Sendable {
        var operation: String
        var request: JSONObject
        var response: String
    }

    struct Evidence: Sendable {
        var exchanges: [Exchange] = []
        var observationSchema: JSONValue?
        var resetObservationSchema: JSONValue?
        /// Why collection stopped early; the graders then have nothing complete to judge.
        var failure: String?
    }

    static let standardErrorCodes: Set<String> = [
        "INVALID_JSON", "UNKNOWN_TYPE", "VALIDATION_ERROR", "EXECUTION_ERROR", "CAPACITY_REACHED", "FACTORY_ERROR", "SESSION_ERROR",
    ]

    static func collect(_ server: ServerUnderTest, schema: JSONObject, plan: RuntimePlan, episodeTimeout: Duration) async -> Evidence {
        var evidence = Evidence()
        evidence.observationSchema = schema["observation"]
        evidence.resetObservationSchema = schema["reset_observation"]
        let clock = ContinuousClock()
        let deadline = clock.now + episodeTimeout
        func remaining() -> Duration { min(server.timeout, max(.zero, deadline - clock.now)) }
        var phase = "connect"
        let socket: ProbeSocket
        do { socket = try await server.openSession() } catch {
            evidence.failure = "connect failed (\(error))"
            return evidence
        }
        do {
            func exchange(_ operation: String, _ data: JSONObject?) async throws -> JSONObject {
                phase = operation
                var request: JSONObject = ["type": .string(operation)]
                if let data { request["data"] = .object(data) }
                guard await socket.send(.object(request)) else { throw Stop(reason: "the connection was closed") }
                guard let event = await socket.next(timeout: remaining()) else { throw Stop(reason: "no reply within the deadline") }
                guard case .text(let text) = event else {
                    throw Stop(reason: event == .closed(code: nil) ? "the connection closed" : "\(event)")
                }
                evidence.exchanges.append(Exchange(operation: operation, request: request, response: text))
                guard let reply = try? JSONParser.parse(text), let object = reply.objectValue else { throw Stop(reason: "reply is not a JSON object") }
                if object["type"] == "error" {
                    let code = object["data"]?["code"]?.stringValue.flatMap { standardErrorCodes.contains($0) ? $0 : nil }
                    let message = object["data"]?["message"]?.stringValue.map { ": \($0.prefix(200))" } ?? ""
                    throw Stop(reason: (code ?? "server error") + message)
                }
                let expected = operation == "state" ? "state" : "observation"
                guard object["type"]?.stringValue == expected, let data = object["data"]?.objectValue else {
                    throw Stop(reason: "unexpected response envelope (expected type '\(expected)' with an object 'data')")
                }
                return data
            }
            var observation = try await exchange("reset", plan.resetData)
            _ = try await exchange("state", nil)
            for action in plan.actions {
                if observation["done"] == true { break }
                guard let object = action.objectValue else { continue }
                observation = try await exchange("step", object)
                _ = try await exchange("state", nil)
            }
            _ = await socket.send(["type": "close"])
        } catch let stop as Stop {
            evidence.failure = "\(phase) failed (\(stop.reason))"
        } catch {
            evidence.failure = "\(phase) failed (\(error))"
        }
        await socket.close()
        return evidence
    }

    private struct Stop: Error { var reason: String }

    static func run(_ server: ServerUnderTest, plan: RuntimePlan, schema: JSONObject, rewardRange: ClosedRange<Double>, episodeTimeout: Duration,
                    into report: inout RunningEnvironmentReport) async {
        let evidence = await collect(server, schema: schema, plan: plan, episodeTimeout: episodeTimeout)
        let steps = evidence.exchanges.count { $0.operation == "step" }
        let startupDescription = "The server plays one planned episode over /ws: reset (episode_id, seed), state, then step and state per action"
        let measured: JSONValue = ["exchanges": .int(evidence.exchanges.count), "steps": .int(steps), "episode_id": .string(plan.episodeID), "seed": .int(plan.seed)]
        report.append(Criterion("runtime.startup", startupDescription, passed: evidence.failure == nil,
                                         details: evidence.failure, actual: measured))

        let graders: [(String, String, (Evidence) -> [String])] = [
            ("runtime.observation_schema", "Every reset and step observation (with reward and done) validates against /schema's reset_observation and observation",
             { observationProblems($0) }),
            ("runtime.state_contract", "Every state reply carries the requested episode_id and the number of steps since reset",
             { stateProblems($0, episodeID: plan.episodeID) }),
            ("runtime.reward_well_formed", "Every step reward (and a non-null reset reward) is a finite number within the declared range [\(format(rewardRange.lowerBound)), \(format(rewardRange.upperBound))]",
             { rewardProblems($0, range: rewardRange) }),
        ]
        for (id, description, grade) in graders {
            if evidence.failure != nil {
                report.append(.skipped(id, description, reason: "unmet dependency: runtime.startup (collection incomplete)"))
            } else if steps == 0 {
                report.append(.skipped(id, description, reason: "no step was observed; the episode contract is incomplete"))
            } else {
                let problems = grade(evidence)
                report.append(Criterion(id, description, passed: problems.isEmpty,
                    details: problems.isEmpty ? nil : problems.prefix(20).joined(separator: "\n"), actual: ["exchanges": .int(evidence.exchanges.count)]))
            }
        }
    }

    static func rewardProblems(_ evidence: Evidence, range: ClosedRange<Double>) -> [String] {
        var problems: [String] = []
        for (index, exchange) in evidence.exchanges.enumerated() where exchange.operation != "state" {
            guard let data = (try? JSONParser.parse(exchange.response))?["data"]?.objectValue else {
                problems.append("exchange \(index): malformed observation envelope")
                continue
            }
            guard let reward = data["reward"] else {
                problems.append("exchange \(index): missing reward")
                continue
            }
            if reward == .null && exchange.operation == "reset" { continue }
            switch reward {
            case .int, .double:
                let value = reward.doubleValue!
                if !value.isFinite || !range.contains(value) {
                    problems.append("exchange \(index) (\(exchange.operation)): reward \(JSONWriter().string(reward)) is outside the declared range [\(format(range.lowerBound)), \(format(range.upperBound))]")
                }
            default:
                problems.append("exchange \(index) (\(exchange.operation)): reward must be a finite number, got \(JSONWriter().string(reward))")
            }
        }
        return problems
    }

    static func stateProblems(_ evidence: Evidence, episodeID: String) -> [String] {
        var problems: [String] = []
        var steps = 0
        var states = 0
        for (index, exchange) in evidence.exchanges.enumerated() {
            switch exchange.operation {
            case "reset": steps = 0
            case "step": steps += 1
            default:
                states += 1
                let reply = try? JSONParser.parse(exchange.response)
                guard let data = reply?["data"]?.objectValue else {
                    problems.append("exchange \(index): malformed state envelope")
                    continue
                }
                if reply?["type"] != "state" || data["episode_id"] != .string(episodeID) {
                    problems.append("exchange \(index): episode_id \(data["episode_id"].map { JSONWriter().string($0) } ?? "missing") differs from the reset's \"\(episodeID)\"")
                }
                if case .int(let count)? = data["step_count"], count == steps { continue }
                problems.append("exchange \(index): step_count \(data["step_count"].map { JSONWriter().string($0) } ?? "missing"), expected \(steps)")
            }
        }
        if states == 0 { problems.append("no state snapshots were measured") }
        return problems
    }

    static func observationProblems(_ evidence: Evidence) -> [String] {
        guard let stepSchema = evidence.observationSchema else { return ["observation schema unavailable"] }
        let step: JSONSchemaValidator
        let reset: JSONSchemaValidator
        do {
            step = try JSONSchemaValidator(schema: stepSchema)
            reset = try evidence.resetObservationSchema.map { schema throws(JSONSchemaValidator.SchemaError) in try JSONSchemaValidator(schema: schema) } ?? step
        } catch {
            return ["observation schema cannot be used: \(error)"]
        }
        var problems: [String] = []
        for (index, exchange) in evidence.exchanges.enumerated() where exchange.operation != "state" {
            let reply = try? JSONParser.parse(exchange.response)
            guard reply?["type"] == "observation", let data = reply?["data"]?.objectValue, var observation = data["observation"]?.objectValue,
                case .bool? = data["done"], let reward = data["reward"]
            else {
                problems.append("exchange \(index): malformed observation envelope (needs an object 'observation', a boolean 'done' and a 'reward' key)")
                continue
            }
            observation["reward"] = reward
            observation["done"] = data["done"]
            let validator = exchange.operation == "reset" ? reset : step
            for issue in validator.validate(.object(observation)).prefix(5) {
                problems.append("exchange \(index) (\(exchange.operation)): schema mismatch at \(issue.schemaPath) (\(issue.keyword)): \(issue.instancePath.isEmpty ? "/" : issue.instancePath): \(issue.message)")
            }
            if problems.count >= 20 { break }
        }
        return problems
    }

    static func format(_ value: Double) -> String { ManifestReader.format(value) }
}
