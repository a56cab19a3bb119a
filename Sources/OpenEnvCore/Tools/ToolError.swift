/// Why a tool call failed, as OpenEnv's `ToolErrorType` names it.
public enum ToolErrorType: String, Sendable, Codable, CaseIterable, JSONSchemaDescribed {
    case executionError = "execution_error"
    case invalidArgs = "invalid_args"
    case transportError = "transport_error"
    case toolNotFound = "tool_not_found"
    case timeout

    public static var schemaTitle: String { "ToolErrorType" }
}

/// A failed tool call. The type is chosen where the failure is detected (lookup,
/// argument decoding, the deadline, the handler), never by matching message text.
public struct ToolError: Error, Sendable, Equatable, Codable, CustomStringConvertible, JSONSchemaDescribed {
    public var errorType: ToolErrorType
    public var message: String

    public init(_ errorType: ToolErrorType, _ message: String) {
        self.errorType = errorType
        self.message = message
    }

    public var description: String { message }

    public static var schemaTitle: String { "ToolError" }
    public static var schemaDescription: String? { "Structured error for tool execution failures." }
    public static var propertyDescriptions: [String: String] {
        ["error_type": "Category of the error", "message": "Human-readable error message"]
    }
}

/// Registering a tool failed.
public enum ToolRegistrationError: Error, Equatable, CustomStringConvertible {
    /// `reset`, `step`, `state` and `close` belong to the simulation API.
    case reservedName(String)
    case duplicateName(String)
    case invalidName(String)

    public var description: String {
        switch self {
        case .reservedName(let n): "tool name '\(n)' is reserved (reset, step, state and close are the simulation API)"
        case .duplicateName(let n): "a tool named '\(n)' is already registered"
        case .invalidName(let n): "invalid tool name '\(n)': use letters, digits, '_', '-' or '.'"
        }
    }
}
