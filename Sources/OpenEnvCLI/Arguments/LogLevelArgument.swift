import ArgumentParser
import Logging

/// `--log-level` of `serve`: one of swift-log's levels by name (`trace` … `critical`).
///
/// A wrapper rather than a conformance of `Logger.Level` itself: both the type and the
/// protocol belong to other packages, and a library must not make that promise for them.
struct LogLevelArgument: ExpressibleByArgument, Sendable, Equatable {
    var level: Logger.Level

    init(_ level: Logger.Level) { self.level = level }

    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }

    var defaultValueDescription: String { level.rawValue }
    static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
