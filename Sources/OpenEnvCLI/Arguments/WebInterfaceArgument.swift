import ArgumentParser
import OpenEnvServer

/// `--web` of `serve`: whether the browser page is served at `/web/`.
///
/// `auto` follows the reference's rule where it has one: `$ENABLE_WEB_INTERFACE` set to
/// `true`, `1` or `yes` (any case) turns the page on and any other value off, in either
/// mode, as the reference's `create_app` decides; without the variable the page is on in
/// simulation mode and off in production mode (docs/compatibility.md).
enum WebInterfaceArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, on, off

    /// Whether the page is served in `mode`, given the process environment.
    func isEnabled(mode: ServerConfiguration.Mode, environment: [String: String]) -> Bool {
        switch self {
        case .on: return true
        case .off: return false
        case .auto:
            if let value = environment["ENABLE_WEB_INTERFACE"] {
                return ["true", "1", "yes"].contains(value.lowercased())
            }
            return mode == .simulation
        }
    }
}
