import NIOCore
import OpenEnvCore

/// How a batched-stepping message (``VectorSessionEndpoint``) spreads its environments over
/// threads: consecutive chunks of at least ``minimumSize`` environments, at most
/// ``ServerConfiguration/vectorThreads`` of them, stepped at once. The first runs on the
/// calling task; each other one on a helper executor (``SessionRegistry/chunkExecutors``):
/// another event loop than the connection's for an ``ExecutionPolicy/eventLoop``
/// environment, so that its calls into the environments stay on one thread, cheap; the
/// step pool for the others.
///
/// Each environment is called by one chunk only, one call after another, so an environment
/// never sees two calls at once; what a chunk answers depends on its environments alone, so
/// a reply is the same whatever the split.
struct VectorChunks: Sendable {
    /// The fewest environments worth a thread hop (a chunk of grid steps takes ~100 µs).
    static let minimumSize = 32

    private let count: Int
    private let threads: Int
    private let executors: [any TaskExecutor]

    /// - Parameters:
    ///   - threads: the most chunks; `nil`: the cores.
    ///   - executors: where chunks beyond the first may run (see the type's description).
    init(count: Int, threads: Int?, executors: [any TaskExecutor]) {
        self.count = count
        self.threads = max(1, threads ?? System.coreCount)
        self.executors = executors
    }

    /// `count` environments in `chunks` consecutive ranges, as even as can be.
    static func ranges(count: Int, chunks: Int) -> [Range<Int>] {
        (0..<chunks).map { i in (count * i / chunks)..<(count * (i + 1) / chunks) }
    }

    /// How many chunks: at most `threads`, at least ``minimumSize`` environments each, at
    /// most one per executor (`helpers` besides the caller's own).
    static func chunkCount(count: Int, threads: Int, helpers: Int) -> Int {
        max(1, min(threads, count / minimumSize, 1 + helpers))
    }

    /// `body` over every chunk, at once; the chunks and their results, in order.
    func run<Part: Sendable>(_ body: @escaping @Sendable (Range<Int>) async -> Part) async -> [(range: Range<Int>, part: Part)] {
        let current = PreferredExecutor.current
        let helpers = executors.filter { $0 !== current }
        let ranges = Self.ranges(count: count, chunks: Self.chunkCount(count: count, threads: threads, helpers: helpers.count))
        guard ranges.count > 1 else { return [(ranges[0], await body(ranges[0]))] }
        return await withTaskGroup(of: (Int, Part).self) { group in
            for index in ranges.indices.dropFirst() {
                group.addTask(executorPreference: helpers[index - 1]) { (index, await body(ranges[index])) }
            }
            var parts = [Part?](repeating: nil, count: ranges.count)
            parts[0] = await body(ranges[0])
            for await (index, part) in group { parts[index] = part }
            return zip(ranges, parts).map { ($0, $1!) }
        }
    }
}
