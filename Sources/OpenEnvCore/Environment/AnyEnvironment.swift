/// The JSON schemas of an environment's types, as served by `GET /schema`.
public struct EnvironmentSchemas: Sendable, Equatable {
    public var action: JSONValue
    public var observation: JSONValue
    public var state: JSONValue
    public var resetObservation: JSONValue

    /// The `/schema` body, keys in the reference's order.
    public var json: JSONValue {
        ["action": action, "observation": observation, "state": state, "reset_observation": resetObservation]
    }
}

/// A type-erased environment instance that speaks JSON: what a server session drives.
///
/// Errors: ``step(_:)`` throws ``ValidationFailure`` when the action does not decode
/// (locations relative to the action); ``reset`` and ``step`` throw ``RewardError`` when
/// the environment produced a reward that must not be sent (non-finite, or outside
/// ``EnvironmentInfo/rewardRange``); every other thrown error comes from the environment
/// itself. Tool calls throw ``ToolError``.
///
/// A class, not a struct: a session's calls, a vector's chunks and every closure that
/// captures one pass it around, and a copy of a struct of nine closures and existentials
/// cost a retain and a release of each (with the struct, retain/release were 13 % of a
/// 256-env catch message's server samples; 7 % after: docs/benchmarks.md).
public final class AnyEnvironment: Sendable {
    public let reset: @Sendable (JSONObject) async throws -> WireObservation
    public let step: @Sendable (JSONValue) async throws -> WireObservation
    public let state: @Sendable () async throws -> JSONValue
    public let close: @Sendable () async -> Void
    /// `nil` when the environment has no tools reachable over JSON-RPC.
    public let toolbox: (@Sendable () async -> Toolbox)?
    /// The instance's Task API (spec §1.13); `nil` when the environment has no tasks.
    public let tasks: (any TaskProviding)?
    /// The instance's agent harness (`/harness`); `nil` for ordinary environments.
    public let harness: (any HarnessProviding)?
    /// The `/ws` step fast path; `nil` when the action or observation type cannot take it.
    package let fastStep: FastStep?

    init<E: Environment>(_ env: E) {
        let writer = ObservationWriter(rewardRange: E.info.rewardRange)
        let encoder = writer.encoder
        reset = { arguments in
            var options = arguments
            var seed: Int?
            var episodeID: String?
            if let value = options["seed"] {
                options["seed"] = nil
                switch value {
                case .null: seed = nil
                default:
                    guard let s = value.intValue, value.boolValue == nil else {
                        throw ValidationFailure([ValidationIssue(type: "int_type", loc: ["seed"], msg: "Input should be a valid integer", input: value)])
                    }
                    seed = s
                }
            }
            if let value = options["episode_id"] {
                options["episode_id"] = nil
                switch value {
                case .null: episodeID = nil
                case .string(let s): episodeID = s
                default:
                    throw ValidationFailure([ValidationIssue(type: "string_type", loc: ["episode_id"], msg: "Input should be a valid string", input: value)])
                }
            }
            return try writer.wire(try await env.reset(seed: seed, episodeID: episodeID, options: options))
        }
        step = { actionJSON in
            var actionJSON = actionJSON
            if case .object(var object) = actionJSON, case .object? = object["metadata"] {
                object["metadata"] = nil
                actionJSON = .object(object)
            }
            let action = try JSONValueDecoder().decode(E.Action.self, from: actionJSON)
            return try writer.wire(try await env.step(action))
        }
        state = { try encoder.encode(await env.state) }
        close = { await env.close() }
        if let provider = env as? any ToolProviding {
            toolbox = { await provider.toolbox }
        } else {
            toolbox = nil
        }
        tasks = env as? any TaskProviding
        harness = env as? any HarnessProviding
        if let synchronous = env as? any SynchronousEnvironment {
            fastStep = FastStep(synchronous, writer: writer)
        } else {
            fastStep = FastStep(env, writer: writer)
        }
    }
}

/// Turns an environment's results into wire observations, for the tree path (``wire(_:)``)
/// and the fast path (``append(_:members:to:)``), checking the reward either way.
struct ObservationWriter: Sendable {
    let rewardRange: ClosedRange<Double>?
    let encoder = JSONValueEncoder()

    /// The result as the tree path sends it: the observation's members, `metadata` first.
    /// - Throws: ``RewardError`` for a reward that must not be sent; encoding errors.
    func wire<O: Encodable>(_ result: StepResult<O>) throws -> WireObservation {
        if let reward = result.reward { try RewardError.check(reward, range: rewardRange) }
        var observation: JSONObject = ["metadata": .object(result.metadata)]
        if case .object(let fields) = try encoder.encode(result.observation) {
            for member in fields where member.key != "metadata" { observation[member.key] = member.value }
        }
        return WireObservation(observation: observation, reward: result.reward, done: result.done, metadata: result.metadata)
    }

    /// Appends the result's observation object to `out` (with `members` when given, else
    /// through ``wire(_:)``) and answers the rest. Throws what ``wire(_:)`` throws, with
    /// `out` unchanged.
    func append<O: Encodable>(
        _ result: StepResult<O>, members: (@Sendable (O, inout [UInt8]) -> Void)?, to out: inout [UInt8]
    ) throws -> FastStep.Outcome {
        if let reward = result.reward { try RewardError.check(reward, range: rewardRange) }
        if !ObservationFrame.appendObservation(result, members: members, to: &out) {
            ObservationFrame.appendObservation(try wire(result), to: &out)
        }
        return FastStep.Outcome(reward: result.reward, done: result.done, metadata: result.metadata)
    }
}

/// A step from frame bytes to frame bytes, without the ``JSONValue`` trees: the action is
/// decoded from the text of the step's `data` (``JSONBytesDecoder``), the observation written
/// straight into the reply (``ObservationFrame``). The results are those of ``AnyEnvironment/step``
/// followed by the tree frame writer, byte for byte; whatever the fast path declines (it
/// never reports errors) takes ``AnyEnvironment/step``, which reports them.
///
/// A class, for the reason ``AnyEnvironment`` is one: every step reads it out of its
/// environment.
package final class FastStep: Sendable {
    /// An action decoded by ``decode``, for ``step``.
    package struct PreparedAction: Sendable {
        let action: any Sendable
    }

    /// What a step reported beside its observation object.
    package struct Outcome: Sendable {
        package var reward: Reward?
        package var done: Bool
        package var metadata: JSONObject
    }

    /// The action in the bytes of an action object (a step's `data`), or `nil`: then decode
    /// it with ``AnyEnvironment/step``, which reports why it does not decode.
    package let decode: @Sendable (UnsafeBufferPointer<UInt8>) -> PreparedAction?
    /// Runs the step, appends its observation object to `out`
    /// (``ObservationFrame/appendObservation(_:to:)``) and answers the rest. Throws what
    /// ``AnyEnvironment/step`` throws after decoding (``RewardError``, the environment's own
    /// errors), with `out` unchanged.
    package let step: @Sendable (PreparedAction, inout [UInt8]) async throws -> Outcome
    /// Resets with a seed alone (a vector's autoreset) and appends the reset's observation
    /// object to `out`, as ``step`` does; `nil` when the reset observation type cannot take
    /// the fast path. Throws what ``AnyEnvironment/reset`` throws, with `out` unchanged.
    package let reset: (@Sendable (Int?, inout [UInt8]) async throws -> Outcome)?
    /// ``decode`` and ``step`` in one synchronous call, for a ``SynchronousEnvironment``
    /// (`nil` for others): `nil` when the bytes do not decode (nothing ran), else as ``step``.
    package let stepNow: (@Sendable (UnsafeBufferPointer<UInt8>, inout [UInt8]) throws -> Outcome?)?

    /// The fast path of `env`, or `nil` when its action or observation type cannot take it.
    convenience init?<E: Environment>(_ env: E, writer: ObservationWriter) {
        self.init(env, writer: writer, stepNow: nil)
    }

    /// The fast path of a ``SynchronousEnvironment``, with ``stepNow``.
    convenience init?<E: SynchronousEnvironment>(_ env: E, writer: ObservationWriter) {
        guard let decodeAction = Self.actionDecoder(E.self) else { return nil }
        let members = JSONMembers.writer(for: E.Observation.self)
        self.init(env, writer: writer) { bytes, out in
            guard let action = decodeAction(bytes) else { return nil }
            return try writer.append(try env.stepNow(action), members: members, to: &out)
        }
    }

    private init?<E: Environment>(
        _ env: E, writer: ObservationWriter, stepNow: (@Sendable (UnsafeBufferPointer<UInt8>, inout [UInt8]) throws -> Outcome?)?
    ) {
        guard let decodeAction = Self.actionDecoder(E.self) else { return nil }
        let members = JSONMembers.writer(for: E.Observation.self)
        decode = { bytes in decodeAction(bytes).map { PreparedAction(action: $0) } }
        step = { prepared, out in
            try writer.append(try await env.step(prepared.action as! E.Action), members: members, to: &out)
        }
        if ObservationFrame.canEncode(E.ResetObservation.self) {
            let resetMembers = JSONMembers.writer(for: E.ResetObservation.self)
            reset = { seed, out in
                try writer.append(try await env.reset(seed: seed, episodeID: nil, options: [:]), members: resetMembers, to: &out)
            }
        } else {
            reset = nil
        }
        self.stepNow = stepNow
    }

    /// The reader of `E`'s actions, when its actions and observations can take the fast path.
    private static func actionDecoder<E: Environment>(_ type: E.Type) -> (@Sendable (UnsafeBufferPointer<UInt8>) -> E.Action?)? {
        guard JSONBytesDecoder.canDecode(E.Action.self), ObservationFrame.canEncode(E.Observation.self) else { return nil }
        return JSONBytesDecoder.actionDecoder(E.Action.self)
    }

    /// The `/ws` `observation` frame of a step of `action`.
    package func frame(_ action: PreparedAction) async throws -> [UInt8] {
        var out = ObservationFrame.head
        out.reserveCapacity(256)
        let outcome = try await step(action, &out)
        ObservationFrame.appendTail(reward: outcome.reward, done: outcome.done, metadata: outcome.metadata, to: &out)
        return out
    }

    /// The `/ws` `observation` frame of a step of the action in `bytes`, stepped with
    /// ``stepNow``; `nil` when the bytes do not decode or the environment is not synchronous.
    package func frameNow(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [UInt8]? {
        guard let stepNow else { return nil }
        var out = ObservationFrame.head
        out.reserveCapacity(256)
        guard let outcome = try stepNow(bytes, &out) else { return nil }
        ObservationFrame.appendTail(reward: outcome.reward, done: outcome.done, metadata: outcome.metadata, to: &out)
        return out
    }
}

/// Makes ``AnyEnvironment`` instances of one environment type and describes it.
///
/// A server is built from one factory and never learns which environment it serves.
public struct EnvironmentFactory: Sendable {
    public let info: EnvironmentInfo
    public let schemas: EnvironmentSchemas
    /// `true` when instances expose tools over JSON-RPC (`tools/list`, `tools/call`).
    public let providesTools: Bool
    /// `true` when the action type accepts `{"type":"list_tools"}` / `call_tool` actions.
    public let acceptsMCPActions: Bool
    /// `true` when instances answer the Task API (the environment is ``TaskProviding``).
    public let providesTasks: Bool
    /// `true` when instances run an agent harness (the environment is ``HarnessProviding``).
    public let providesHarness: Bool
    /// Where the server runs the instances' calls (``Environment/execution``).
    public let execution: ExecutionPolicy
    /// Creates one instance; called once per session (and per stateless HTTP request).
    public let make: @Sendable () async throws -> AnyEnvironment
    /// Called once by a server when it stops, after its last session closed: releases what
    /// the instances shared (e.g. a pool of sandboxes started ahead). Set by ``onShutdown(_:)``.
    public private(set) var shutdown: @Sendable () async -> Void = {}

    public init<E: Environment>(_ type: E.Type = E.self, make: @escaping @Sendable () async throws -> E) {
        info = E.info
        schemas = EnvironmentSchemas(
            action: Self.actionSchema(E.Action.self),
            observation: Self.observationSchema(E.Observation.self),
            state: JSONSchema.of(E.State.self, allowExtra: true),
            resetObservation: Self.observationSchema(E.ResetObservation.self))
        providesTools = E.self is any ToolProviding.Type
        acceptsMCPActions = E.Action.self == MCPAction.self
        providesTasks = E.self is any TaskProviding.Type
        providesHarness = E.self is any HarnessProviding.Type
        execution = E.execution
        self.make = {
            let env = try await make()
            return AnyEnvironment(env)
        }
    }

    /// This factory, with `body` run when the server stops (after any earlier hook).
    public func onShutdown(_ body: @escaping @Sendable () async -> Void) -> EnvironmentFactory {
        var copy = self
        let earlier = shutdown
        copy.shutdown = {
            await earlier()
            await body()
        }
        return copy
    }

    static func actionSchema<A: Decodable>(_ type: A.Type) -> JSONValue {
        guard case .object(var schema) = JSONSchema.of(A.self), case .object(var properties) = schema["properties"] else {
            return JSONSchema.of(A.self)
        }
        if properties["metadata"] == nil {
            var withMetadata: JSONObject = ["metadata": Self.metadataSchema("Additional metadata for the action")]
            for member in properties { withMetadata[member.key] = member.value }
            properties = withMetadata
        }
        schema["properties"] = .object(properties)
        return .object(schema)
    }

    static func observationSchema<O: Decodable>(_ type: O.Type) -> JSONValue {
        guard case .object(var schema) = JSONSchema.of(O.self), case .object(let fields) = schema["properties"] else {
            return JSONSchema.of(O.self)
        }
        var properties: JSONObject = [
            "done": ["default": false, "description": "Whether the episode has terminated", "title": "Done", "type": "boolean"],
            "reward": Reward.jsonSchema,
            "metadata": Self.metadataSchema("Additional metadata for the observation"),
        ]
        for member in fields { properties[member.key] = member.value }
        schema["properties"] = .object(properties)
        return .object(schema)
    }

    static func metadataSchema(_ description: String) -> JSONValue {
        ["additionalProperties": true, "description": .string(description), "title": "Metadata", "type": "object"]
    }
}
