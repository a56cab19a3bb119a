import Dispatch
import Foundation
import Synchronization

/// Newline-delimited messages over the host's end of a socket pair whose other end is a
/// sandboxed program's stdin and stdout.
///
/// Reads are driven by a Dispatch read source; ``next()`` waits for the next complete
/// line, the end of the stream, or an overlong line (more than `maxLineBytes` without a
/// newline: the stream stops there, as the peer is no longer trusted to speak the
/// protocol). Writes use `send(MSG_NOSIGNAL)`, so a dead peer is an error, never a
/// SIGPIPE. Reads, writes and closing run on one serial queue, so the descriptor is never
/// used after it is closed. A blocking write to a peer that does not read is unblocked
/// when the peer dies (callers kill the sandbox on their deadline).
///
/// The state behind a lock bridges Dispatch callbacks to one async waiter at a time.
final class LineChannel: Sendable {
    enum Event: Sendable, Equatable {
        case line([UInt8])
        case end
        case overlong
    }

    private struct State {
        var partial: [UInt8] = []
        var events: [Event] = []
        var waiter: CheckedContinuation<Event, Never>?
        var finished = false
        var closed = false
    }

    private let fd: Int32
    private let maxLineBytes: Int
    private let queue = DispatchQueue(label: "openenv.sandbox.channel")
    private let state = Mutex(State())
    private nonisolated(unsafe) let source: DispatchSourceRead  // touched on `queue` only, after init

    /// Takes ownership of `fd` (a connected stream socket).
    init(fd: Int32, maxLineBytes: Int) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.readAvailable() }
        source.setCancelHandler { [weak self, fd] in
            self?.markClosed()
            Foundation.close(fd)
        }
        source.activate()
    }

    deinit {
        source.cancel()
    }

    /// The next event; after `.end` or `.overlong`, always `.end`.
    func next() async -> Event {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Event? in
                if !s.events.isEmpty { return s.events.removeFirst() }
                if s.finished { return .end }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Writes `bytes` followed by a newline. Throws when the peer is gone.
    func send(_ bytes: [UInt8]) async throws(SandboxError) {
        let message = bytes + [0x0A]
        let error: String? = await withCheckedContinuation { continuation in
            queue.async { [self] in
                guard !state.withLock({ $0.closed }) else {
                    continuation.resume(returning: "channel closed")
                    return
                }
                var offset = 0
                while offset < message.count {
                    let n = message.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        continuation.resume(returning: String(cString: strerror(errno)))
                        return
                    }
                    offset += n
                }
                continuation.resume(returning: nil)
            }
        }
        if let error { throw .hostOperation("cannot write to the sandbox: \(error)") }
    }

    /// Stops reading and closes the descriptor (after any write in progress).
    func close() {
        queue.async { [self] in
            let waiter = state.withLock { s -> CheckedContinuation<Event, Never>? in
                s.closed = true
                s.finished = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: .end)
            source.cancel()
        }
    }

    private func markClosed() {
        state.withLock { $0.closed = true }
    }

    private func readAvailable() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                deliver(buffer[0..<n])
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            finish()  // 0: end of stream; any other error ends it too
            source.cancel()
            return
        }
    }

    private func deliver(_ chunk: ArraySlice<UInt8>) {
        var overlong = false
        let resumed = state.withLock { s -> (CheckedContinuation<Event, Never>, Event)? in
            guard !s.finished else { return nil }
            var rest = chunk[...]
            while let newline = rest.firstIndex(of: 0x0A) {
                s.partial.append(contentsOf: rest[rest.startIndex..<newline])
                s.events.append(.line(s.partial))
                s.partial.removeAll(keepingCapacity: true)
                rest = rest[(newline + 1)...]
            }
            s.partial.append(contentsOf: rest)
            if s.partial.count > maxLineBytes {
                s.events.append(.overlong)
                s.finished = true
                s.partial = []
                overlong = true
            }
            guard let waiter = s.waiter, !s.events.isEmpty else { return nil }
            s.waiter = nil
            return (waiter, s.events.removeFirst())
        }
        if let (waiter, event) = resumed { waiter.resume(returning: event) }
        if overlong { source.cancel() }
    }

    private func finish() {
        let resumed = state.withLock { s -> (CheckedContinuation<Event, Never>, Event)? in
            guard !s.finished else { return nil }
            s.finished = true
            s.events.append(.end)
            guard let waiter = s.waiter else { return nil }
            s.waiter = nil
            return (waiter, s.events.removeFirst())
        }
        if let (waiter, event) = resumed { waiter.resume(returning: event) }
    }
}
