import NIOHTTP1
import ServiceLifecycle
import Tracing

/// Spans of what a server does, through swift-distributed-tracing's API
/// (``ServerConfiguration/tracing``): one span per reset, step and tool call, whatever the
/// transport (`/ws`, HTTP `/reset` and `/step`, `/mcp`, `/mcp/streamable`, JSON-RPC).
///
/// - Span names: `openenv.reset`, `openenv.step`, `openenv.tool_call`, of kind server.
/// - Attributes: `openenv.environment` (the environment's name), `openenv.session.id` (the
///   session the call ran in; absent for a stateless HTTP or JSON-RPC call, which uses a
///   single-use environment no client can address),
///   `openenv.outcome` (the `outcome` label of `/metrics`: ok, invalid, error, deadline,
///   refused); a span whose outcome is not ok has status error.
/// - Parent: the W3C `traceparent` (and `tracestate`) of the request that carried the call
///   (each HTTP request; for `/ws` and WebSocket `/mcp`, the upgrade request, overridden per
///   step by a `traceparent` in the action's `metadata`). Without one, a new trace starts.
///
/// Without this (`nil`, the default) no span, context or header is ever looked at: the cost
/// is one `nil` check per call. The OTLP exporter (swift-otel, `OTEL_*` variables) is wired
/// by the `OpenEnvOTel` module, so that only programs that export pay for its build.
public final class ServerTracing: Sendable, Equatable {
    /// Where spans go.
    public let tracer: any Tracer
    /// The tracer's background work (batching, exporting), run by the server beside its
    /// listener and shut down after it, so the spans of the last calls are flushed.
    let service: (any Service)?

    /// - Parameters:
    ///   - tracer: the tracer spans are started on; its propagator reads `traceparent`.
    ///   - service: run for as long as the server runs, shut down after the listener.
    public init(tracer: any Tracer, service: (any Service)? = nil) {
        self.tracer = tracer
        self.service = service
    }

    public static func == (lhs: ServerTracing, rhs: ServerTracing) -> Bool { lhs === rhs }

    /// The trace context carried by `headers` (`traceparent`, `tracestate`), or `nil` when
    /// they carry none, or a `traceparent` that is not well formed (ignored, as the W3C
    /// recommendation asks).
    func context(from headers: HTTPHeaders) -> ServiceContext? {
        guard let traceparent = headers.first(name: "traceparent") else { return nil }
        return context(traceparent: traceparent, tracestate: headers.first(name: "tracestate"))
    }

    /// The trace context of a W3C `traceparent` value (and `tracestate`), from a header or
    /// from inside a message.
    ///
    /// Only these two values reach the tracer, never the request's other headers: a tracer
    /// may log what it could not parse (swift-otel logs the whole carrier), and those hold
    /// the bearer token. A malformed `traceparent` is dropped here, silently, so a client
    /// cannot make every request log a warning.
    func context(traceparent: String, tracestate: String?) -> ServiceContext? {
        guard Self.isWellFormed(traceparent: traceparent) else { return nil }
        var context = ServiceContext.topLevel
        tracer.extract(TraceHeaders(traceparent: traceparent, tracestate: tracestate), into: &context, using: TraceHeaders.Reader())
        return context.isEmpty ? nil : context
    }

    /// `VERSION-TRACEID-PARENTID-FLAGS` in lower-case hex (2, 32, 16, 2 digits); version `ff`
    /// is invalid, and a future version may append `-…` (W3C Trace Context, §3.2).
    static func isWellFormed(traceparent: String) -> Bool {
        let bytes = Array(traceparent.utf8)
        guard bytes.count >= 55, bytes.count <= 512 else { return false }
        for (index, byte) in bytes.prefix(55).enumerated() {
            switch index {
            case 2, 35, 52: guard byte == UInt8(ascii: "-") else { return false }
            default: guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) else { return false }
            }
        }
        let version = bytes.prefix(2)
        guard version != [UInt8(ascii: "f"), UInt8(ascii: "f")] else { return false }
        if version == [UInt8(ascii: "0"), UInt8(ascii: "0")] { return bytes.count == 55 }
        return bytes.count == 55 || bytes[55] == UInt8(ascii: "-")
    }

    /// Starts the span of one call, as a child of the task's current context (the request's).
    func startSpan(_ operation: CallOperation, environment: String) -> any Span {
        let span = tracer.startSpan("openenv.\(operation.rawValue)", context: ServiceContext.current ?? .topLevel, ofKind: .server)
        span.attributes["openenv.environment"] = environment
        return span
    }

    /// Runs `body` with `context` as the task's current trace context; with `nil`, just runs it.
    static func withContext<T>(
        _ context: ServiceContext?, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async rethrows -> T {
        guard let context else { return try await body() }
        return try await ServiceContext.withValue(context, operation: body)
    }

    /// What a tracer's propagator is given: the two trace-context values and nothing else.
    private struct TraceHeaders: Sendable, CustomStringConvertible {
        var traceparent: String
        var tracestate: String?
        var description: String { "traceparent: \(traceparent)" + (tracestate.map { ", tracestate: \($0)" } ?? "") }

        struct Reader: Extractor {
            func extract(key: String, from carrier: TraceHeaders) -> String? {
                switch key.lowercased() {
                case "traceparent": carrier.traceparent
                case "tracestate": carrier.tracestate
                default: nil
                }
            }
        }
    }
}
