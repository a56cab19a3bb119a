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
    /// they carry none the tracer's propagator understands.
    func context(from headers: HTTPHeaders) -> ServiceContext? {
        var context = ServiceContext.topLevel
        tracer.extract(headers, into: &context, using: HeaderExtractor())
        return context.isEmpty ? nil : context
    }

    /// The trace context of a W3C `traceparent` value (and `tracestate`) sent inside a
    /// message rather than as a header.
    func context(traceparent: String, tracestate: String?) -> ServiceContext? {
        var headers = HTTPHeaders([("traceparent", traceparent)])
        if let tracestate { headers.add(name: "tracestate", value: tracestate) }
        return context(from: headers)
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

    private struct HeaderExtractor: Extractor {
        func extract(key: String, from carrier: HTTPHeaders) -> String? { carrier.first(name: key) }
    }
}
