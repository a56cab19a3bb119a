import ArgumentParser

/// `--log-format` of `serve`: swift-log's text lines, or one JSON object per line
/// (``OpenEnvServer/JSONLogHandler``).
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}
