/// Splits a byte stream into newline-delimited messages (MCP's stdio framing), with a
/// bound on a message's length.
///
/// A trailing `\r` is dropped. A message longer than `maxLength` bytes is reported once as
/// ``Frame/oversized(_:)`` and skipped up to its newline, so one runaway line costs at
/// most `maxLength` bytes of memory and the stream stays usable after it.
struct LineFramer {
    enum Frame: Equatable {
        case line([UInt8])
        /// A line was dropped; the payload is how many bytes it had when it was given up.
        case oversized(Int)
    }

    let maxLength: Int
    private var partial: [UInt8] = []
    private var skipping = false

    init(maxLength: Int) {
        self.maxLength = maxLength
    }

    /// Consumes `bytes` and returns the frames they complete, in order.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [Frame] {
        var frames: [Frame] = []
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let newline = bytes[start...].firstIndex(of: 0x0A)
            let end = newline ?? bytes.endIndex
            if !skipping {
                if partial.count + (end - start) > maxLength {
                    frames.append(.oversized(partial.count + (end - start)))
                    partial = []
                    skipping = true
                } else {
                    partial.append(contentsOf: bytes[start..<end])
                }
            }
            guard let newline else { break }
            if !skipping {
                if partial.last == 0x0D { partial.removeLast() }
                if !partial.isEmpty { frames.append(.line(partial)) }
            }
            partial = []
            skipping = false
            start = newline + 1
        }
        return frames
    }
}
