import Dispatch
import Foundation
import Synchronization

/// Keeps the last `capacity` bytes written to a pipe: a sandbox's standard error, kept
/// for diagnostics (bwrap's own messages, an interpreter's crash report).
final class StreamTail: Sendable {
    private let fd: Int32
    private let capacity: Int
    private let bytes = Mutex<[UInt8]>([])
    private let queue = DispatchQueue(label: "openenv.sandbox.stderr")
    private nonisolated(unsafe) let source: DispatchSourceRead  // touched on `queue` only, after init

    /// Takes ownership of `fd` (the read end of a pipe) and makes it non-blocking.
    init(fd: Int32, capacity: Int = 8192) {
        self.fd = fd
        self.capacity = capacity
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.readAvailable() }
        source.setCancelHandler { [fd] in Foundation.close(fd) }
        source.activate()
    }

    deinit { source.cancel() }

    /// What arrived so far, as text, trimmed.
    var text: String {
        String(decoding: bytes.withLock { $0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Drains what is already in the pipe, then stops reading; `text` is final afterwards.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                if !source.isCancelled { readAvailable() }
                source.cancel()
                continuation.resume()
            }
        }
    }

    private func readAvailable() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.withLock { kept in
                    kept.append(contentsOf: buffer[0..<n])
                    if kept.count > capacity { kept.removeFirst(kept.count - capacity) }
                }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { source.cancel() }
            return
        }
    }
}
