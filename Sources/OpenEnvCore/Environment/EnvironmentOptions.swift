/// The environment-specific settings a program hands an entry when it serves it (for
/// `openenv serve`, the options after the environment's name that are not the server's).
/// Core gives them no meaning: the program names them, the entry that takes them reads
/// them, and any other entry refuses them with ``requireNone(for:)``.
public struct EnvironmentOptions: Sendable, Equatable {
    /// Options by the name the user gave them (`--mcp-url` for `openenv serve`), in the
    /// order given; an option given without a value has an empty one.
    public var values: [(name: String, value: String)]
    /// The arguments after `--`.
    public var arguments: [String]

    public init(values: [(name: String, value: String)] = [], arguments: [String] = []) {
        self.values = values
        self.arguments = arguments
    }

    /// The value of the option called `name`, `nil` when it was not given.
    public subscript(name: String) -> String? { values.first { $0.name == name }?.value }

    /// Whether nothing at all was given.
    public var isEmpty: Bool { values.isEmpty && arguments.isEmpty }

    /// - Throws: ``EnvironmentOptionsError`` naming the options `environment` does not take.
    public func requireNone(for environment: String) throws(EnvironmentOptionsError) {
        try requireOnly([], for: environment)
    }

    /// - Throws: ``EnvironmentOptionsError`` naming every given option whose name is not in
    ///   `names` (and the arguments after `--` unless `takesArguments`).
    public func requireOnly(_ names: Set<String>, takesArguments: Bool = false, for environment: String) throws(EnvironmentOptionsError) {
        var refused = values.map(\.name).filter { !names.contains($0) }
        if !takesArguments && !arguments.isEmpty { refused.append("a command after --") }
        guard refused.isEmpty else {
            throw EnvironmentOptionsError("\(environment) does not take these options: \(refused.joined(separator: ", "))")
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.arguments == b.arguments && a.values.map(\.name) == b.values.map(\.name) && a.values.map(\.value) == b.values.map(\.value)
    }
}

/// Options an environment cannot be served with.
public struct EnvironmentOptionsError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
