import OpenEnvCore

/// The server → client frames of `/ws`, as compact JSON text.
package enum WireFrames {
    static let writer = JSONWriter(style: .compact)

    package static func frame(_ type: String, _ data: JSONValue) -> [UInt8] {
        writer.bytes(["type": .string(type), "data": data])
    }

    package static func error(_ code: String, _ message: String, extra: JSONObject = [:]) -> [UInt8] {
        var data: JSONObject = ["message": .string(message), "code": .string(code)]
        for member in extra { data[member.key] = member.value }
        return frame("error", .object(data))
    }

    /// The error frame a session-level failure is reported with on `/ws`.
    static func error(_ error: SessionError) -> [UInt8] {
        switch error {
        case .capacityReached, .quotaReached: Self.error("CAPACITY_REACHED", error.description, extra: error.extraFields)
        case .factoryFailed: Self.error("FACTORY_ERROR", error.description, extra: error.extraFields)
        case .deadlineExceeded: Self.error("EXECUTION_ERROR", error.description)
        default: Self.error("SESSION_ERROR", error.description)
        }
    }
}
