/// Incremental parser of a `text/event-stream` body (the WHATWG server-sent events
/// format), as a Streamable HTTP MCP server may answer a POST.
///
/// Lines end with LF, CRLF or CR; `data:` lines of one event are joined with `\n`; a blank
/// line dispatches the event; comments (`:`) and unknown fields are ignored. An event
/// without data is not dispatched, nor is an unfinished one at the end of the stream.
struct SSEParser {
    struct Event: Equatable, Sendable {
        /// The `event:` field, `message` when absent.
        var type: String
        var data: String
        var id: String?
    }

    /// An event or line grew past ``maxEventSize`` bytes.
    struct OversizedEvent: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "an event of more than \(limit) bytes" }
    }

    let maxEventSize: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var type = ""
    private var id: String?
    private var afterCR = false

    init(maxEventSize: Int) {
        self.maxEventSize = maxEventSize
    }

    /// Consumes `bytes` and returns the events they complete, in order.
    mutating func append(_ bytes: some Sequence<UInt8>) throws(OversizedEvent) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }  // the LF of a CRLF
            }
            switch byte {
            case 0x0A, 0x0D:
                afterCR = byte == 0x0D
                if let event = try endLine() { events.append(event) }
            default:
                line.append(byte)
                if line.count + data.count > maxEventSize { throw OversizedEvent(limit: maxEventSize) }
            }
        }
        return events
    }

    private mutating func endLine() throws(OversizedEvent) -> Event? {
        defer { line = [] }
        if line.isEmpty {
            defer { data = []; hasData = false; type = "" }
            guard hasData else { return nil }
            return Event(type: type.isEmpty ? "message" : type, data: String(decoding: data, as: UTF8.self), id: id)
        }
        if line.first == 0x3A { return nil }  // ":" comment
        let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var value = colon < line.endIndex ? line[(colon + 1)...] : []
        if value.first == 0x20 { value = value.dropFirst() }
        switch field {
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "event":
            type = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) { id = String(decoding: value, as: UTF8.self) }
        default:
            break
        }
        return nil
    }
}
