import NIOCore

/// Runs Swift concurrency jobs on a NIO event loop.
///
/// Tasks started with this executor as their preference (and the default actors they call,
/// such as sessions and environments) run on the connection's event loop thread, so a step
/// costs no thread hops between NIO and the Swift concurrency pool. The trade-off: an
/// environment that blocks its thread blocks the other connections of that loop.
package final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// One ``EventLoopTaskExecutor`` per event loop of a group, built once.
struct EventLoopExecutors: Sendable {
    private let executors: [ObjectIdentifier: EventLoopTaskExecutor]

    init(_ group: any EventLoopGroup) {
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(loop) }
        self.executors = executors
    }

    /// The executor of `loop` (`nil` for a loop outside the group).
    func executor(for loop: any EventLoop) -> EventLoopTaskExecutor? { executors[ObjectIdentifier(loop)] }
}
