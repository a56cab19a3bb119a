import ArgumentParser
import OpenEnvServer

/// `--mode` of `serve`: `simulation` or `production`, in any case (the reference lower-cases
/// `$OPENENV_MODE` before reading it).
extension ServerConfiguration.Mode: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }

    /// The mode `text` names, or the reference's error word for word
    /// (`Invalid mode: 'staging'. Must be one of: ['simulation', 'production']`), for the
    /// option and for `$OPENENV_MODE` alike.
    static func parse(_ text: String) throws -> Self {
        guard let mode = Self(argument: text) else {
            let names = allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw ValidationError("Invalid mode: '\(text)'. Must be one of: [\(names)]")
        }
        return mode
    }
}
