/// The `/ws` `observation` frame, `{"type":"observation","data":{…}}`, as compact JSON text.
///
/// ``bytes(_:)`` writes it from a ``StepResult`` straight into one buffer (the step fast
/// path); ``bytes(_:)-(WireObservation)`` from the tree the other paths build. Both write the
/// same bytes — what `WireFrames.frame("observation", observation.webSocketPayload)` writes —
/// and a test compares them over randomized observations.
package enum ObservationFrame {
    private static let head = Array(#"{"type":"observation","data":{"observation":{"metadata":"#.utf8)
    private static let writer = JSONWriter(style: .compact)

    /// The frame for `result`, whose reward was already checked; `nil` when the observation
    /// is not written through one keyed container with distinct keys (or throws): build the
    /// ``WireObservation`` then.
    package static func bytes<O: Encodable>(_ result: StepResult<O>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: head)
        writer.write(.object(result.metadata), into: &out)
        guard JSONFieldsEncoder.appendMembers(of: result.observation, skipping: "metadata", to: &out) else { return nil }
        out.append(contentsOf: #"},"reward":"#.utf8)
        writer.write(result.reward?.jsonValue ?? .null, into: &out)
        out.append(contentsOf: (result.done ? #","done":true"# : #","done":false"#).utf8)
        if !result.metadata.isEmpty {
            out.append(contentsOf: #","metadata":"#.utf8)
            writer.write(.object(result.metadata), into: &out)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// The frame for an observation built as a tree.
    package static func bytes(_ observation: WireObservation) -> [UInt8] {
        writer.bytes(["type": "observation", "data": observation.webSocketPayload])
    }

    /// Whether observations of type `O` can take ``bytes(_:)`` at all.
    package static func canEncode<O: Encodable>(_ type: O.Type) -> Bool { JSONFieldsEncoder.canEncode(O.self) }
}
