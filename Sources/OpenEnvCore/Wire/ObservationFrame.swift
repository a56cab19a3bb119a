/// The `/ws` `observation` frame, `{"type":"observation","data":{…}}`, as compact JSON text,
/// and the pieces batched frames are made of.
///
/// ``bytes(_:)`` writes it from a ``StepResult`` straight into one buffer (the step fast
/// path); ``bytes(_:)-(WireObservation)`` from the tree the other paths build. Both write the
/// same bytes — what `WireFrames.frame("observation", observation.webSocketPayload)` writes —
/// and a test compares them over randomized observations.
package enum ObservationFrame {
    /// `{"type":"observation","data":{"observation":`: what a frame starts with.
    package static let head = Array(#"{"type":"observation","data":{"observation":"#.utf8)
    private static let writer = JSONWriter(style: .compact)

    /// The frame for `result`, whose reward was already checked; `nil` when the observation
    /// is not written through one keyed container with distinct keys (or throws): build the
    /// ``WireObservation`` then.
    package static func bytes<O: Encodable>(_ result: StepResult<O>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: head)
        guard appendObservation(result, to: &out) else { return nil }
        appendTail(reward: result.reward, done: result.done, metadata: result.metadata, to: &out)
        return out
    }

    /// The frame for an observation built as a tree.
    package static func bytes(_ observation: WireObservation) -> [UInt8] {
        writer.bytes(["type": "observation", "data": observation.webSocketPayload])
    }

    /// Appends the `observation` object of `result` — `{"metadata":{…},<fields>}`, what
    /// ``WireObservation/observation`` holds for it — and answers `true`; or answers `false`
    /// with `out` unchanged when ``bytes(_:)`` would answer `nil`.
    package static func appendObservation<O: Encodable>(_ result: StepResult<O>, to out: inout [UInt8]) -> Bool {
        appendObservation(result, members: JSONMembers.writer(for: O.self), to: &out)
    }

    /// ``appendObservation(_:to:)`` with `O`'s own member writer resolved by the caller
    /// (``JSONMembers/writer(for:)``), once per type instead of once per value.
    package static func appendObservation<O: Encodable>(
        _ result: StepResult<O>, members: (@Sendable (O, inout [UInt8]) -> Void)?, to out: inout [UInt8]
    ) -> Bool {
        let mark = out.count
        out.append(contentsOf: #"{"metadata":"#.utf8)
        appendMetadata(result.metadata, to: &out)
        if let members {
            members(result.observation, &out)
        } else if !JSONFieldsEncoder.appendMembers(of: result.observation, skipping: "metadata", to: &out) {
            out.removeSubrange(mark...)
            return false
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// Appends the `observation` object of a tree-built observation.
    package static func appendObservation(_ observation: WireObservation, to out: inout [UInt8]) {
        writer.write(.object(observation.observation), into: &out)
    }

    /// Appends a reward as the `/ws` frames carry it (`null` when there is none).
    package static func appendReward(_ reward: Reward?, to out: inout [UInt8]) {
        writer.write(reward?.jsonValue ?? .null, into: &out)
    }

    /// Appends a metadata object (`{}` without the tree writer when empty, as most are).
    private static func appendMetadata(_ metadata: JSONObject, to out: inout [UInt8]) {
        if metadata.isEmpty {
            out.append(contentsOf: "{}".utf8)
        } else {
            writer.write(.object(metadata), into: &out)
        }
    }

    /// `,"reward":…,"done":…[,"metadata":{…}]}}`: the rest of an `observation` frame.
    package static func appendTail(reward: Reward?, done: Bool, metadata: JSONObject, to out: inout [UInt8]) {
        out.append(contentsOf: #","reward":"#.utf8)
        appendReward(reward, to: &out)
        out.append(contentsOf: (done ? #","done":true"# : #","done":false"#).utf8)
        if !metadata.isEmpty {
            out.append(contentsOf: #","metadata":"#.utf8)
            writer.write(.object(metadata), into: &out)
        }
        out.append(contentsOf: "}}".utf8)
    }

    /// Whether observations of type `O` can take ``bytes(_:)`` at all.
    package static func canEncode<O: Encodable>(_ type: O.Type) -> Bool { JSONFieldsEncoder.canEncode(O.self) }
}
