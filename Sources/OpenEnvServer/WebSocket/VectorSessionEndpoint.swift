import OpenEnvCore

/// `/ws?num_envs=N` (an extension; without `num_envs` `/ws` is the reference's protocol,
/// untouched): one connection that owns N sessions of the server's environment and steps
/// them all with one message, for vectorised training (Gymnasium's `VectorEnv`).
///
/// Messages, one reply each, in order:
/// - `{"type": "reset", "data": {"seed": S, ...}}`: resets every environment, environment
///   i with seed `S + i` (as `gymnasium.vector` seeds its copies) or none, the other keys as
///   each reset's options; answers `vector_observation`.
/// - `{"type": "step", "data": {"actions": [a0, ..., aN-1]}}`: N action objects in, one
///   `vector_observation` out: `{"observations": [...], "rewards": [...], "dones": [...],
///   "autoreset": [...]}`, each list N long, each observation as `/ws` sends it.
/// - `{"type": "state"}`: `{"type": "vector_state", "data": {"states": [...]}}`.
/// - `{"type": "close"}`: ends the connection and its sessions.
///
/// Autoreset is Gymnasium's **next-step** mode (`AutoresetMode.NEXT_STEP`, its default): an
/// environment that reported `done` is reset by the next step, whose action for it is
/// ignored; that entry has `autoreset: true`, the reset's observation and reward, and
/// `done: false`. An autoreset is seeded, so a seeded vector stays deterministic: environment
/// i's k-th autoreset after a reset with seed S uses `S + i + N * k` (no seed: none).
///
/// The N sessions count against the server's session limit like N `/ws` connections, are
/// created when the connection opens (all or none: a refusal closes it after a
/// `CAPACITY_REACHED` error frame) and destroyed when it closes. Every call goes through
/// the session's queue and deadline as a single `/ws` call does. Malformed messages get
/// the `/ws` error frames; a failing environment call gets an `EXECUTION_ERROR` frame with
/// `env_index` (the environments before it have already moved).
///
/// Used sequentially by its connection (see ``WebSocketEndpoint``), so its state needs no lock.
final class VectorSessionEndpoint: WebSocketEndpoint, @unchecked Sendable {
    /// The largest `num_envs` accepted.
    static let maxEnvironments = 4096

    private let registry: SessionRegistry
    private let messageLimit: Int
    private let count: Int
    private let principal: AccessPrincipal?
    private let connection = ConnectionID.next()
    private var sessions: [Session] = []
    /// Environment i reported done: its next step resets it.
    private var pendingReset: [Bool]
    /// Autoresets so far per environment, and the seed of the last vector reset.
    private var autoresets: [Int]
    private var baseSeed: Int?
    private var finished = false

    init(registry: SessionRegistry, messageLimit: Int, count: Int, principal: AccessPrincipal?) {
        self.registry = registry
        self.messageLimit = messageLimit
        self.count = count
        self.principal = principal
        pendingReset = Array(repeating: false, count: count)
        autoresets = Array(repeating: 0, count: count)
    }

    /// The endpoint of a `/ws` query with `num_envs` (its text); one that is not an integer
    /// from 1 to ``maxEnvironments`` gets a `VALIDATION_ERROR` frame and a close.
    convenience init(registry: SessionRegistry, messageLimit: Int, numEnvs text: String, principal: AccessPrincipal?) {
        let n = Int(text).flatMap { (1...Self.maxEnvironments).contains($0) ? $0 : nil }
        self.init(registry: registry, messageLimit: messageLimit, count: n ?? 0, principal: principal)
        if n == nil { countError = "num_envs must be an integer from 1 to \(Self.maxEnvironments), not '\(text)'" }
    }

    private var countError: String?

    func open(_ socket: SocketWriter) async -> Bool {
        if let countError {
            socket.send(text: WireFrames.error("VALIDATION_ERROR", countError))
            finished = true
            return false
        }
        let endHandler: SessionEndHandler = { reason in
            if let reason { socket.send(text: WireFrames.error(reason)) }
            socket.close()
        }
        do {
            for _ in 0..<count {
                let session = try await registry.create(owner: .webSocket(connection), principal: principal)
                sessions.append(session)
                await session.bindOwnerSocket(connection, endHandler: endHandler)
            }
            return true
        } catch {
            socket.send(text: WireFrames.error(error))
            await finish(cause: .error)
            return false
        }
    }

    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool {
        guard !finished else { return false }
        switch message {
        case .binary:
            socket.send(text: WireFrames.error("SESSION_ERROR", "'text'"))
            await finish(cause: .error)
            return false
        case .text(let buffer) where buffer.readableBytes > messageLimit:
            socket.send(text: WireFrames.error("MESSAGE_TOO_LARGE", "Message of \(buffer.readableBytes) bytes exceeds the server's limit of \(messageLimit) bytes"))
            await finish(cause: .error)
            return false
        case .text(let buffer):
            let reply = await handle(buffer.readableBytesView)
            if let frame = reply.frame { socket.send(text: frame) }
            guard reply.closeAfter else { return true }
            await finish(cause: reply.frame == nil ? .client : .error)
            return false
        }
    }

    func closed(cause: SessionCloseCause) async { await finish(cause: cause) }

    private func finish(cause: SessionCloseCause) async {
        guard !finished else { return }
        finished = true
        for session in sessions { await registry.destroy(session.id, cause: cause) }
    }

    private func handle(_ text: some Collection<UInt8>) async -> SessionMessageHandler.Reply {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            return .init(frame: WireFrames.error("INVALID_JSON", "Invalid JSON: \(error)"), closeAfter: false)
        }
        guard case .object(let message) = value else {
            return .init(frame: WireFrames.error("SESSION_ERROR", "'\(value.pythonTypeName)' object has no attribute 'get'"), closeAfter: true)
        }
        var data: JSONObject = [:]
        if case .object(let d)? = message["data"] { data = d }
        switch message["type"] {
        case .string("close")?:
            return .init(frame: nil, closeAfter: true)
        case .string("reset")?:
            return await reset(data)
        case .string("step")?:
            guard case .array(let actions)? = data["actions"], actions.count == count else {
                return Self.invalid("data.actions must be a list of \(count) actions (one per environment)")
            }
            return await step(actions)
        case .string("state")?:
            var states: [JSONValue] = []
            for (index, session) in sessions.enumerated() {
                do {
                    states.append(try await registry.call(.bound(session), countsAsActivity: false) { try await $0.state() })
                } catch {
                    return failure(error, index: index)
                }
            }
            return .init(frame: WireFrames.frame("vector_state", ["states": .array(states)]), closeAfter: false)
        default:
            return .init(frame: WireFrames.error("UNKNOWN_TYPE", "Unknown message type: \(message["type"]?.description ?? "")"), closeAfter: false)
        }
    }

    private func reset(_ data: JSONObject) async -> SessionMessageHandler.Reply {
        var seed: Int?
        if let value = data["seed"], value != .null {
            guard let s = value.intValue, value.boolValue == nil else { return Self.invalid("data.seed must be an integer or null") }
            seed = s
        }
        baseSeed = seed
        var results: [WireObservation] = []
        results.reserveCapacity(count)
        for (index, session) in sessions.enumerated() {
            var options = data
            options["seed"] = seed.map { .int($0 &+ index) } ?? .null
            let arguments = options
            do {
                results.append(try await registry.call(.bound(session), operation: .reset) { try await $0.reset(arguments) })
            } catch {
                return failure(error, index: index)
            }
            pendingReset[index] = results[index].done
            autoresets[index] = 0
        }
        return .init(frame: Self.frame(results, autoreset: nil), closeAfter: false)
    }

    private func step(_ actions: [JSONValue]) async -> SessionMessageHandler.Reply {
        var results: [WireObservation] = []
        results.reserveCapacity(count)
        var autoreset = Array(repeating: false, count: count)
        for (index, session) in sessions.enumerated() {
            let result: WireObservation
            do {
                if pendingReset[index] {
                    autoresets[index] += 1
                    let seed: JSONValue = baseSeed.map { .int($0 &+ index &+ count &* autoresets[index]) } ?? .null
                    result = try await registry.call(.bound(session), operation: .reset) { try await $0.reset(["seed": seed]) }
                    autoreset[index] = true
                } else {
                    let action = actions[index]
                    result = try await registry.call(.bound(session), operation: .step) { try await $0.step(action) }
                }
            } catch {
                return failure(error, index: index)
            }
            pendingReset[index] = result.done
            results.append(result)
        }
        return .init(frame: Self.frame(results, autoreset: autoreset), closeAfter: false)
    }

    private static func frame(_ results: [WireObservation], autoreset: [Bool]?) -> [UInt8] {
        var observations: [JSONValue] = [], rewards: [JSONValue] = [], dones: [JSONValue] = []
        observations.reserveCapacity(results.count)
        rewards.reserveCapacity(results.count)
        dones.reserveCapacity(results.count)
        for (index, result) in results.enumerated() {
            observations.append(.object(result.observation))
            rewards.append(result.reward?.jsonValue ?? .null)
            // An autoreset entry is a first observation: never done.
            dones.append(.bool(autoreset?[index] == true ? false : result.done))
        }
        return WireFrames.frame("vector_observation", [
            "observations": .array(observations), "rewards": .array(rewards), "dones": .array(dones),
            "autoreset": .array((autoreset ?? Array(repeating: false, count: results.count)).map { .bool($0) }),
        ])
    }

    private static func invalid(_ message: String) -> SessionMessageHandler.Reply {
        .init(frame: WireFrames.error("VALIDATION_ERROR", message), closeAfter: false)
    }

    private func failure(_ error: any Error, index: Int) -> SessionMessageHandler.Reply {
        switch error {
        case let failure as ValidationFailure:
            return .init(frame: WireFrames.error("VALIDATION_ERROR", "Invalid action of environment \(index)",
                                                 extra: ["errors": failure.json(includeURL: true), "env_index": .int(index)]), closeAfter: false)
        case let error as SessionError:
            return .init(frame: WireFrames.error(error), closeAfter: true)
        default:
            return .init(frame: WireFrames.error("EXECUTION_ERROR", "\(error)", extra: ["env_index": .int(index)]), closeAfter: false)
        }
    }
}
