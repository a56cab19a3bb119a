import NIOCore
import OpenEnvCore

/// `/ws?num_envs=N` (an extension; without `num_envs` `/ws` is the reference's protocol,
/// untouched): one connection that owns N instances of the server's environment and steps
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
/// - `{"type": "close"}`: ends the connection and its environments.
///
/// Autoreset is Gymnasium's **next-step** mode (`AutoresetMode.NEXT_STEP`, its default): an
/// environment that reported `done` is reset by the next step, whose action for it is
/// ignored; that entry has `autoreset: true`, the reset's observation and reward, and
/// `done: false`. An autoreset is seeded, so a seeded vector stays deterministic: environment
/// i's k-th autoreset after a reset with seed S uses `S + i + N * k` (no seed: none).
///
/// The N environments are one session of the registry holding N slots: they count against
/// the server's session limit (and a token's quota) like N `/ws` connections, are created
/// when the connection opens (all or none: a refusal closes it after a `CAPACITY_REACHED`
/// error frame) and destroyed when it closes. A message is one call into all N (one turn
/// of the session's queue, one step deadline for the whole message, counted in the
/// metrics as N calls). Malformed messages get the `/ws` error frames. Every environment
/// is called even when another one's call fails; then the reply is the `EXECUTION_ERROR`
/// (or `VALIDATION_ERROR`) frame of the lowest failing environment, with `env_index`, and
/// the others have moved (their observations are lost: reset the vector).
///
/// A message of many environments steps them in parallel, in chunks (``VectorChunks``,
/// ``ServerConfiguration/vectorThreads``); the reply is the same bytes as one after another.
///
/// A plain step message (``StepEnvelope/actionRanges(in:data:)``) takes the fast path: each
/// action is decoded from the frame's bytes and each observation written straight into the
/// reply (``FastStep``), the same bytes as the tree path, which every other message takes.
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
    private let chunks: VectorChunks
    private var session: Session?
    private var episodes: Episodes
    private var finished = false
    /// Bytes the last reply took per environment: the next chunks reserve that much, so
    /// their buffers are allocated once.
    private var bytesPerEnvironment = 128

    init(registry: SessionRegistry, messageLimit: Int, count: Int, principal: AccessPrincipal?, threads: Int? = nil) {
        self.registry = registry
        chunks = VectorChunks(count: count, threads: threads, stepPool: registry.vectorStepPool)
        self.messageLimit = messageLimit
        self.count = count
        self.principal = principal
        episodes = Episodes(count: count)
    }

    /// The endpoint of a `/ws` query with `num_envs` (its text); one that is not an integer
    /// from 1 to ``maxEnvironments`` gets a `VALIDATION_ERROR` frame and a close.
    convenience init(registry: SessionRegistry, messageLimit: Int, numEnvs text: String, principal: AccessPrincipal?, threads: Int?) {
        let n = Int(text).flatMap { (1...Self.maxEnvironments).contains($0) ? $0 : nil }
        self.init(registry: registry, messageLimit: messageLimit, count: n ?? 0, principal: principal, threads: threads)
        if n == nil { countError = "num_envs must be an integer from 1 to \(Self.maxEnvironments), not '\(text)'" }
    }

    private var countError: String?

    func open(_ socket: SocketWriter) async -> Bool {
        if let countError {
            socket.send(text: WireFrames.error("VALIDATION_ERROR", countError))
            finished = true
            return false
        }
        do {
            let session = try await registry.create(owner: .webSocket(connection), principal: principal, environments: count)
            self.session = session
            session.bindOwnerSocket(connection) { reason in
                if let reason { socket.send(text: WireFrames.error(reason)) }
                socket.close()
            }
            return true
        } catch {
            socket.send(text: WireFrames.error(error))
            finished = true
            return false
        }
    }

    func receive(_ message: WebSocketMessage, _ socket: SocketWriter) async -> Bool {
        guard !finished, let session else { return false }
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
            let reply: SessionMessageHandler.Reply
            if let actions = plainStepActions(buffer) {
                reply = await step(session, .bytes(buffer, actions))
            } else {
                reply = await handle(session, buffer.readableBytesView)
            }
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
        if let session { await registry.destroy(session.id, cause: cause) }
    }

    /// The ranges of a plain step's N action objects in `buffer`, or `nil` (the tree path).
    private func plainStepActions(_ buffer: ByteBuffer) -> [Range<Int>]? {
        buffer.withUnsafeReadableBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            guard let data = StepEnvelope.dataRange(in: bytes), let actions = StepEnvelope.actionRanges(in: bytes, data: data),
                actions.count == count
            else { return nil }
            return actions
        }
    }

    private func handle(_ session: Session, _ text: some Collection<UInt8>) async -> SessionMessageHandler.Reply {
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
            var seed: Int?
            if let value = data["seed"], value != .null {
                guard let s = value.intValue, value.boolValue == nil else { return Self.invalid("data.seed must be an integer or null") }
                seed = s
            }
            return await reset(session, seed: seed, options: data)
        case .string("step")?:
            guard case .array(let actions)? = data["actions"], actions.count == count else {
                return Self.invalid("data.actions must be a list of \(count) actions (one per environment)")
            }
            return await step(session, .values(actions))
        case .string("state")?:
            do {
                let states = try await registry.callAll(session, countsAsActivity: false) { environments in
                    var states: [JSONValue] = []
                    for (index, environment) in environments.enumerated() {
                        do { states.append(try await environment.state()) } catch { throw EnvironmentCallFailure(index: index, error: error) }
                    }
                    return states
                }
                return .init(frame: WireFrames.frame("vector_state", ["states": .array(states)]), closeAfter: false)
            } catch {
                return failure(error)
            }
        default:
            return .init(frame: WireFrames.error("UNKNOWN_TYPE", "Unknown message type: \(message["type"]?.description ?? "")"), closeAfter: false)
        }
    }

    private func reset(_ session: Session, seed: Int?, options data: JSONObject) async -> SessionMessageHandler.Reply {
        await callAll(session, .reset, from: Episodes(count: count, seed: seed)) { environments, range, part in
            for index in range {
                var options = data
                options["seed"] = seed.map { .int($0 &+ index) } ?? .null
                await part.call(index) { frame, episodes in
                    let result = try await environments[index].reset(options)
                    frame.append(result, autoreset: false)
                    episodes.pendingReset[index] = result.done
                }
            }
        }
    }

    /// The actions of a step message: parsed, or located in the frame's bytes.
    private enum Actions: Sendable {
        case values([JSONValue])
        case bytes(ByteBuffer, [Range<Int>])
    }

    private func step(_ session: Session, _ actions: Actions) async -> SessionMessageHandler.Reply {
        await callAll(session, .step, from: episodes) { environments, range, part in
            var decoded = DecodedActions()
            for index in range {
                await part.call(index) { frame, episodes in
                    if let seed = episodes.autoresetSeed(index) {
                        episodes.pendingReset[index] = try await frame.appendAutoreset(environments[index], seed: seed)
                        return
                    }
                    switch actions {
                    case .values(let values):
                        let result = try await environments[index].step(values[index])
                        frame.append(result, autoreset: false)
                        episodes.pendingReset[index] = result.done
                    case .bytes(let buffer, let ranges):
                        episodes.pendingReset[index] = try await frame.appendStep(environments[index], buffer, ranges[index], decoded: &decoded)
                    }
                }
            }
        }
    }

    /// One call into all the environments (``SessionRegistry/callAll(_:countsAsActivity:operation:_:)``),
    /// `body` run over each chunk (``VectorChunks``) from the episodes `start`; the reply, with
    /// the episodes and the next reply's size hint kept, or the failure's error frame.
    private func callAll(
        _ session: Session, _ operation: CallOperation, from start: Episodes,
        _ body: @escaping @Sendable (_ environments: [AnyEnvironment], _ range: Range<Int>, _ part: inout ChunkResult) async -> Void
    ) async -> SessionMessageHandler.Reply {
        let chunks = self.chunks
        let bytesPerEnvironment = self.bytesPerEnvironment
        do {
            let (frame, episodes) = try await registry.callAll(session, operation: operation) { environments in
                let parts = await chunks.run { range in
                    var part = ChunkResult(start, capacity: range.count, bytesPerEnvironment: bytesPerEnvironment)
                    await body(environments, range, &part)
                    return part
                }
                return try ChunkResult.merge(parts, start)
            }
            self.episodes = episodes
            self.bytesPerEnvironment = frame.count / count + 16
            return .init(frame: frame, closeAfter: false)
        } catch {
            return failure(error)
        }
    }

    private static func invalid(_ message: String) -> SessionMessageHandler.Reply {
        .init(frame: WireFrames.error("VALIDATION_ERROR", message), closeAfter: false)
    }

    private func failure(_ error: any Error) -> SessionMessageHandler.Reply {
        switch error {
        case let failure as EnvironmentCallFailure:
            if let episodes = failure.progress as? Episodes { self.episodes = episodes }
            if let validation = failure.error as? ValidationFailure {
                return .init(frame: WireFrames.error("VALIDATION_ERROR", "Invalid action of environment \(failure.index)",
                                                     extra: ["errors": validation.json(includeURL: true), "env_index": .int(failure.index)]), closeAfter: false)
            }
            return .init(frame: WireFrames.error("EXECUTION_ERROR", "\(failure.error)", extra: ["env_index": .int(failure.index)]), closeAfter: false)
        case let error as SessionError:
            // Past the deadline the session is gone and the socket was told already.
            if case .deadlineExceeded = error { return .init(frame: nil, closeAfter: true, deadlinePassed: true) }
            return .init(frame: WireFrames.error(error), closeAfter: true)
        default:
            return .init(frame: WireFrames.error("EXECUTION_ERROR", "\(error)"), closeAfter: false)
        }
    }
}

extension VectorSessionEndpoint {
    /// Which environments the next step resets, and their seeds.
    struct Episodes: Sendable {
        /// Environment i reported done: its next step resets it.
        var pendingReset: [Bool]
        /// Autoresets so far per environment since the last vector reset.
        var autoresets: [Int]
        /// The seed of the last vector reset.
        let seed: Int?

        init(count: Int, seed: Int? = nil) {
            pendingReset = Array(repeating: false, count: count)
            autoresets = Array(repeating: 0, count: count)
            self.seed = seed
        }

        /// When environment `index` must be reset by this step, counts the autoreset and
        /// answers its seed (`S + i + N * k` for the k-th, or `null` without a seed).
        mutating func autoresetSeed(_ index: Int) -> JSONValue? {
            guard pendingReset[index] else { return nil }
            autoresets[index] += 1
            return seed.map { .int($0 &+ index &+ pendingReset.count &* autoresets[index]) } ?? .null
        }
    }
}

/// What one chunk (``VectorChunks``) of a message's environments answered: its part of
/// the reply, the episodes' bookkeeping, and its first failure. A chunk calls each of its
/// environments even after one failed.
private struct ChunkResult: Sendable {
    var frame: VectorFrame
    /// A copy of the vector's episodes, current for the chunk's environments.
    var episodes: VectorSessionEndpoint.Episodes
    var failure: (index: Int, error: any Error)?

    init(_ episodes: VectorSessionEndpoint.Episodes, capacity: Int, bytesPerEnvironment: Int) {
        frame = VectorFrame(capacity: capacity, bytesPerEnvironment: bytesPerEnvironment)
        self.episodes = episodes
    }

    /// Runs the call of environment `index`, keeping its error when it is the chunk's first.
    mutating func call(
        _ index: Int, _ body: (inout VectorFrame, inout VectorSessionEndpoint.Episodes) async throws -> Void
    ) async {
        do {
            try await body(&frame, &episodes)
        } catch {
            if failure == nil { failure = (index, error) }
        }
    }

    /// The reply and the episodes after `parts` (from `start`), or the failure
    /// of the lowest failing environment, with the episodes as progress.
    static func merge(
        _ parts: [(range: Range<Int>, part: ChunkResult)], _ start: VectorSessionEndpoint.Episodes
    ) throws -> ([UInt8], VectorSessionEndpoint.Episodes) {
        var episodes = start
        for (range, part) in parts {
            episodes.pendingReset.replaceSubrange(range, with: part.episodes.pendingReset[range])
            episodes.autoresets.replaceSubrange(range, with: part.episodes.autoresets[range])
        }
        if let failure = parts.lazy.compactMap(\.part.failure).first {
            throw EnvironmentCallFailure(index: failure.index, error: failure.error, progress: episodes)
        }
        return (VectorFrame.bytes(parts.map(\.part.frame)), episodes)
    }
}

/// The entries of a `vector_observation` frame, written as environments answer, for one
/// chunk; ``bytes(_:)`` joins the chunks into
/// `{"type":"vector_observation","data":{"observations":[…],"rewards":[…],"dones":[…],"autoreset":[…]}}`.
private struct VectorFrame: Sendable {
    /// The observation objects, comma-separated.
    private var out: [UInt8] = []
    private var rewards: [Reward?] = []
    private var dones: [Bool] = []
    private var autoresets: [Bool] = []

    init(capacity: Int, bytesPerEnvironment: Int) {
        out.reserveCapacity(bytesPerEnvironment * capacity)
        rewards.reserveCapacity(capacity)
        dones.reserveCapacity(capacity)
        autoresets.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if !dones.isEmpty { out.append(UInt8(ascii: ",")) }
    }

    /// An observation built as a tree. An autoreset entry is a first observation: never done.
    mutating func append(_ result: WireObservation, autoreset: Bool) {
        separate()
        ObservationFrame.appendObservation(result, to: &out)
        rewards.append(result.reward)
        dones.append(autoreset ? false : result.done)
        autoresets.append(autoreset)
    }

    /// Steps `environment` with the action object at `range` of `buffer`, through its fast
    /// path when it has one and takes the action, else as a tree; answers `done`.
    mutating func appendStep(
        _ environment: AnyEnvironment, _ buffer: ByteBuffer, _ range: Range<Int>, decoded: inout DecodedActions
    ) async throws -> Bool {
        if let fast = environment.fastStep, let action = decoded.action(at: range, of: buffer, fast) {
            let mark = out.count
            separate()
            do {
                let outcome = try await fast.step(action, &out)
                rewards.append(outcome.reward)
                dones.append(outcome.done)
                autoresets.append(false)
                return outcome.done
            } catch {
                out.removeSubrange(mark...)
                throw error
            }
        }
        let action = try buffer.withUnsafeReadableBytes { try JSONParser.parse(UnsafeBufferPointer(rebasing: $0.assumingMemoryBound(to: UInt8.self)[range])) }
        let result = try await environment.step(action)
        append(result, autoreset: false)
        return result.done
    }

    /// Resets `environment` with `seed` (an integer or `null`), through its fast path when it
    /// has one; answers the reset's `done`.
    mutating func appendAutoreset(_ environment: AnyEnvironment, seed: JSONValue) async throws -> Bool {
        guard let reset = environment.fastStep?.reset else {
            let result = try await environment.reset(["seed": seed])
            append(result, autoreset: true)
            return result.done
        }
        let mark = out.count
        separate()
        do {
            let outcome = try await reset(seed.intValue, &out)
            rewards.append(outcome.reward)
            dones.append(false)
            autoresets.append(true)
            return outcome.done
        } catch {
            out.removeSubrange(mark...)
            throw error
        }
    }

    /// The frame of `parts`, in order.
    static func bytes(_ parts: [VectorFrame]) -> [UInt8] {
        var out = Array(#"{"type":"vector_observation","data":{"observations":["#.utf8)
        out.reserveCapacity(64 + parts.reduce(0) { $0 + $1.out.count + 16 * $1.dones.count })
        var first = true
        for part in parts where !part.dones.isEmpty {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: part.out)
        }
        out.append(contentsOf: #"],"rewards":["#.utf8)
        first = true
        for reward in parts.lazy.flatMap(\.rewards) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            ObservationFrame.appendReward(reward, to: &out)
        }
        out.append(contentsOf: #"],"dones":["#.utf8)
        append(parts.flatMap(\.dones), to: &out)
        out.append(contentsOf: #"],"autoreset":["#.utf8)
        append(parts.flatMap(\.autoresets), to: &out)
        out.append(contentsOf: "]}}".utf8)
        return out
    }

    private static func append(_ flags: [Bool], to out: inout [UInt8]) {
        for (index, flag) in flags.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        }
    }
}

/// The actions of one step message decoded so far, by their text. A vector's actions mostly
/// repeat (a discrete action space), its environments share one action type, and a decoded
/// action depends on its text alone: the same text is decoded once per message. Only
/// actions the fast decoder takes are kept (the others take the tree path, which reports why).
struct DecodedActions {
    private static let capacity = 8
    private var entries: [(text: Range<Int>, action: FastStep.PreparedAction)] = []

    /// The action whose text is at `range` of `buffer`, or `nil` when `fast` declines it.
    mutating func action(at range: Range<Int>, of buffer: ByteBuffer, _ fast: FastStep) -> FastStep.PreparedAction? {
        buffer.withUnsafeReadableBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            for entry in entries where entry.text.count == range.count && bytes[entry.text].elementsEqual(bytes[range]) {
                return entry.action
            }
            guard let action = fast.decode(UnsafeBufferPointer(rebasing: bytes[range])) else { return nil }
            if entries.count < Self.capacity { entries.append((range, action)) }
            return action
        }
    }
}
