/// Why a sandbox could not be provided. Descriptions are meant for operators and agents
/// alike: they say what failed and, where there is one, the fix.
public enum SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// This host cannot run sandboxes (not root, no bubblewrap, no cgroups, user
    /// namespaces disabled, ...). Nothing runs unsandboxed instead.
    case unavailable(String)
    /// An `OPENENV_SANDBOX_*` setting is malformed.
    case invalidSetting(String)
    /// Every uid of the configured range is leased.
    case noFreeUID(first: Int, count: Int)
    /// A sandbox process could not be started or did not come up; carries its diagnostics.
    case startFailed(String)
    /// A host-side operation on a session's files, cgroups or processes failed.
    case hostOperation(String)

    public var description: String {
        switch self {
        case .unavailable(let why): "sandbox unavailable: \(why)"
        case .invalidSetting(let why): "invalid sandbox setting: \(why)"
        case .noFreeUID(let first, let count):
            "sandbox unavailable: all \(count) session uids (\(first)..<\(first + count)) are in use"
        case .startFailed(let why): "sandbox failed to start: \(why)"
        case .hostOperation(let why): "sandbox host operation failed: \(why)"
        }
    }
}
