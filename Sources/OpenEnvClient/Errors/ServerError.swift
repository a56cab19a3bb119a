import OpenEnvCore

/// An `error` reply from an OpenEnv server: `{"type":"error","data":{"message":…,"code":…,…}}`
/// on `/ws`, or the same fields rebuilt from a JSON-RPC error's `data`.
///
/// The reference's Python client flattens this into `RuntimeError("Server error: …")` and
/// drops the extra keys; here every documented key is kept and typed.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The machine-readable code, e.g. ``Code/validationError``.
    public var code: Code
    public var message: String
    /// `CAPACITY_REACHED`: sessions in use when the server refused.
    public var activeSessions: Int?
    /// `CAPACITY_REACHED`: the server's session limit.
    public var maxSessions: Int?
    /// `FACTORY_ERROR`: the name of the factory that failed.
    public var factoryName: String?
    /// `VALIDATION_ERROR`: pydantic-shaped issues (`type`, `loc`, `msg`, `input`, `url`…),
    /// exactly as the server sent them.
    public var errors: [JSONValue]?
    /// The whole `data` object, including keys this type does not model.
    public var data: JSONObject

    /// The `code` strings of the OpenEnv 0.10 wire protocol (spec §2.4). Unknown codes are
    /// kept verbatim.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }

        public static let invalidJSON: Code = "INVALID_JSON"
        public static let unknownType: Code = "UNKNOWN_TYPE"
        public static let validationError: Code = "VALIDATION_ERROR"
        public static let executionError: Code = "EXECUTION_ERROR"
        public static let capacityReached: Code = "CAPACITY_REACHED"
        public static let factoryError: Code = "FACTORY_ERROR"
        public static let sessionError: Code = "SESSION_ERROR"
        public static let messageTooLarge: Code = "MESSAGE_TOO_LARGE"
    }

    /// Reads an error frame's `data`; a missing code or message reads as the reference
    /// client reads it (`UNKNOWN`, `Unknown error`).
    public init(data: JSONObject) {
        self.data = data
        code = Code(rawValue: data["code"]?.stringValue ?? "UNKNOWN")
        message = data["message"]?.stringValue ?? "Unknown error"
        activeSessions = data["active_sessions"]?.intValue
        maxSessions = data["max_sessions"]?.intValue
        factoryName = data["factory_name"]?.stringValue
        errors = data["errors"]?.arrayValue
    }

    public var description: String { "Server error: \(message) (code: \(code))" }
}
