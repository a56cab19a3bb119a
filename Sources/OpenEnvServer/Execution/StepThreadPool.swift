import NIOCore
import NIOPosix

/// The server's step pool: a task executor on dedicated threads, where environments that
/// declare ``ExecutionPolicy/threadPool`` run their calls (and are built).
///
/// A call that blocks or computes for long holds one of these threads and delays no event
/// loop. With every thread busy, further calls wait their turn here; connections, pings and
/// the calls of ``ExecutionPolicy/eventLoop`` environments go on. Started by the server and
/// shut down after the last session is closed.
final class StepThreadPool: TaskExecutor {
    private let pool: NIOThreadPool

    /// The default size: twice the cores, at least four.
    static var defaultThreadCount: Int { max(4, 2 * System.coreCount) }

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // After shutdown the pool runs the item at once on this thread (state .cancelled):
        // a job is never dropped.
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
