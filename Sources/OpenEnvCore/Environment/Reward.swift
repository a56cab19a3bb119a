/// A reward as OpenEnv carries it: a number (integer or float) or a boolean.
///
/// The distinction matters on `/ws`, where the reference sends the value as produced
/// (`3`, `0.5`, `true`), while HTTP responses coerce it to a float.
public enum Reward: Sendable, Hashable, Codable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, JSONSchemaProviding
{
    case int(Int)
    case double(Double)
    case bool(Bool)

    public init(floatLiteral value: Double) { self = .double(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// The reward as produced (non-finite floats become `null`, as on the reference).
    /// The reward as a number: booleans count 1 and 0, non-finite values 0.
    public var doubleValue: Double {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d.isFinite ? d : 0
        case .bool(let b): b ? 1 : 0
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .int(let i): .int(i)
        case .double(let d): d.isFinite ? .double(d) : .null
        case .bool(let b): .bool(b)
        }
    }

    /// The reward coerced to a float, as HTTP responses carry it (`true` → `1.0`).
    public var floatJSONValue: JSONValue {
        switch self {
        case .int(let i): .double(Double(i))
        case .double(let d): d.isFinite ? .double(d) : .null
        case .bool(let b): .double(b ? 1 : 0)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else {
            self = .double(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .bool(let b): try container.encode(b)
        }
    }

    public static var jsonSchema: JSONValue {
        ["anyOf": [["type": "boolean"], ["type": "integer"], ["type": "number"], ["type": "null"]],
         "default": nil, "description": "Reward signal from the last action", "title": "Reward"]
    }
}
