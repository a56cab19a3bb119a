import Foundation
import Synchronization

/// The one thread that forks sandboxes.
///
/// A child's parent-death signal (which ties each sandbox to the server) fires when the
/// *thread* that forked it exits, not only when the process does. Swift's pool threads
/// come and go with load, so a sandbox forked from one would be killed once that thread
/// idles out. This thread is started once and never exits.
final class SpawnThread: Sendable {
    static let shared = SpawnThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let pending = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                pending.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
        thread.name = "openenv-sandbox-spawn"
        thread.start()
    }

    /// Runs `body` on the spawn thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(returning: body()) } }
            pending.signal()
        }
    }
}
