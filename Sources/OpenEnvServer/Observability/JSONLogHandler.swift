import Logging
import OpenEnvCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to standard error
/// (`openenv serve --log-format json`), for log shippers that parse lines:
///
/// ```json
/// {"time":"2026-12-05T14:03:07.412Z","level":"info","message":"reaping idle session","label":"openenv","session":"5b0c…","environment":"echo","fields":{"source":"OpenEnvServer"}}
/// ```
///
/// `time` is UTC with milliseconds; `session` and `environment` are lifted from the
/// `session_id` and `environment` metadata keys when present (else absent); every other
/// metadata key is in `fields`, as a string (or a JSON array or object for list and
/// dictionary metadata). Lines are written whole, one `write(2)` each, under a lock.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: @Sendable ([UInt8]) -> Void

    /// A handler writing to standard error.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label) { line in writeLine(line, to: 2) }
    }

    /// A handler handing each line (with its trailing newline) to `output`.
    public init(label: String, output: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = JSONObject()
        line["time"] = .string(Self.timestamp())
        line["level"] = .string(event.level.rawValue)
        line["message"] = .string(event.message.description)
        line["label"] = .string(label)
        if let session = merged.removeValue(forKey: "session_id") { line["session"] = Self.json(session) }
        if let environment = merged.removeValue(forKey: "environment") { line["environment"] = Self.json(environment) }
        var fields = JSONObject()
        for key in merged.keys.sorted() { fields[key] = Self.json(merged[key]!) }
        if !event.source.isEmpty { fields["source"] = .string(event.source) }
        line["fields"] = .object(fields)
        var bytes = JSONWriter(style: .compact).bytes(.object(line))
        bytes.append(UInt8(ascii: "\n"))
        output(bytes)
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c): .string(c.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let d):
            .object({ var o = JSONObject(); for key in d.keys.sorted() { o[key] = json(d[key]!) }; return o }())
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, without Foundation.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(Int(now.tv_nsec) / 1_000_000, 3))Z"
    }

    private static let lock = Mutex(())

    private static func writeLine(_ bytes: [UInt8], to fd: Int32) {
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }
}
