import OpenEnvCore

/// A JSON-RPC 2.0 error object returned by `POST /mcp`:
/// `{"code": <int>, "message": <str>, "data": <any>}`.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    /// `-32000` capacity refusals carry `active_sessions`/`max_sessions` here, factory
    /// failures `factory_name`; otherwise usually `null`.
    public var data: JSONValue

    public init(code: Int, message: String, data: JSONValue = .null) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let serverError = -32000

    public var description: String { "JSON-RPC error \(code): \(message)" }
}
