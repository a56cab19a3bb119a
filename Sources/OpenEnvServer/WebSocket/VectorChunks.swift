import NIOCore
import OpenEnvCore

/// How a batched-stepping message (``VectorSessionEndpoint``) spreads its environments over
/// threads: consecutive chunks of at least ``minimumSize`` environments, at most
/// ``ServerConfiguration/vectorThreads`` of them, stepped at once.
///
/// Where chunks run depends on the environment's ``ExecutionPolicy``:
/// - ``ExecutionPolicy/eventLoop`` (light environments that never block): with two chunks
///   or more, every chunk is a task without an executor preference, on the global concurrent
///   pool. There a call into an environment (an actor) that is free runs at once on the same
///   thread; under a task executor preference (an event loop's) the runtime enqueues every
///   such call and its return, two trips through the loop's queue per environment step. A
///   single chunk runs on the calling task.
/// - ``ExecutionPolicy/threadPool``: the first chunk runs on the calling task, each other one
///   on the step pool (``SessionRegistry/vectorStepPool``), where blocking is allowed.
///
/// Each environment is called by one chunk only, one call after another, so an environment
/// never sees two calls at once; what a chunk answers depends on its environments alone, so
/// a reply is the same whatever the split.
struct VectorChunks: Sendable {
    /// The step pool, for thread-pool environments' chunks.
    struct StepPool: Sendable {
        let executor: any TaskExecutor
        let threads: Int
    }

    /// The fewest environments worth a thread of their own (a chunk of grid steps takes ~100 µs).
    static let minimumSize = 32
    /// The cores, read once (`System.coreCount` reads the cgroup's files on every call).
    static let cores = System.coreCount

    private let count: Int
    private let threads: Int
    private let stepPool: StepPool?

    /// - Parameters:
    ///   - threads: the most chunks; `nil`: the cores.
    ///   - stepPool: where chunks beyond the first run; `nil`: every chunk on the global
    ///     concurrent pool (see the type's description).
    init(count: Int, threads: Int?, stepPool: StepPool?) {
        self.count = count
        self.threads = max(1, threads ?? Self.cores)
        self.stepPool = stepPool
    }

    /// `count` environments in `chunks` consecutive ranges, as even as can be.
    static func ranges(count: Int, chunks: Int) -> [Range<Int>] {
        (0..<chunks).map { i in (count * i / chunks)..<(count * (i + 1) / chunks) }
    }

    /// How many chunks: at most `threads`, at least ``minimumSize`` environments each, at
    /// most `places` (the threads they may run on).
    static func chunkCount(count: Int, threads: Int, places: Int) -> Int {
        max(1, min(threads, count / minimumSize, places))
    }

    /// `body` over every chunk, at once; the chunks and their results, in order. Cancelling
    /// the calling task cancels every chunk.
    func run<Part: Sendable>(_ body: @escaping @Sendable (Range<Int>) async -> Part) async -> [(range: Range<Int>, part: Part)] {
        guard let stepPool else { return await runOnGlobalPool(body) }
        let ranges = Self.ranges(count: count, chunks: Self.chunkCount(count: count, threads: threads, places: 1 + stepPool.threads))
        guard ranges.count > 1 else { return [(ranges[0], await body(ranges[0]))] }
        return await withTaskGroup(of: (Int, Part).self) { group in
            for index in ranges.indices.dropFirst() {
                group.addTask(executorPreference: stepPool.executor) { (index, await body(ranges[index])) }
            }
            var parts = [Part?](repeating: nil, count: ranges.count)
            parts[0] = await body(ranges[0])
            for await (index, part) in group { parts[index] = part }
            return zip(ranges, parts).map { ($0, $1!) }
        }
    }

    private func runOnGlobalPool<Part: Sendable>(_ body: @escaping @Sendable (Range<Int>) async -> Part) async -> [(range: Range<Int>, part: Part)] {
        let ranges = Self.ranges(count: count, chunks: Self.chunkCount(count: count, threads: threads, places: Self.cores))
        // One chunk stays on the caller: two trips to the pool and back cost more than the
        // enqueued calls of fewer than 64 environments (measured: N=16 and N=1 lost a third).
        guard ranges.count > 1 else { return [(ranges[0], await body(ranges[0]))] }
        // Unstructured tasks: a child task would inherit the caller's executor preference.
        // They inherit its task-locals (the trace context) and priority, not its cancellation,
        // which is passed on by hand.
        let tasks = ranges.map { range in Task { await body(range) } }
        return await withTaskCancellationHandler {
            var parts: [(range: Range<Int>, part: Part)] = []
            for (range, task) in zip(ranges, tasks) { parts.append((range, await task.value)) }
            return parts
        } onCancel: {
            for task in tasks { task.cancel() }
        }
    }
}
