import CoreMetrics
import OpenEnvCore
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

/// What a server is doing, as Prometheus metrics on `GET /metrics`
/// (``ServerConfiguration/metrics``): recorded through swift-metrics into a
/// swift-prometheus registry of this server's own, so two servers in one process never mix
/// their counts.
///
/// Labels are bounded: the environment's name, an operation, an outcome, a close reason,
/// a direction or a transport; never a session id or a token. The names, their labels and
/// an example scrape are in docs/security.md ("Operating the server").
///
/// Every method may be called from any thread (the handles are atomics).
public final class ServerMetrics: Sendable, Equatable {
    /// The registry `/metrics` renders; other code may add its own metrics to it.
    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory over ``registry``: pass it to `MetricsSystem.bootstrap` to
    /// collect the metrics of code that uses the global system (the sandbox's
    /// `openenv_sandbox_*`).
    public let factory: PrometheusMetricsFactory

    let sessionsOpen: Meter
    let sessionsCreated: CoreMetrics.Counter
    let sessionsClosed: [SessionCloseCause: CoreMetrics.Counter]
    let sessionsRefused: [SessionRefusal: CoreMetrics.Counter]
    let unauthorizedHTTP: CoreMetrics.Counter
    let unauthorizedWebSocket: CoreMetrics.Counter
    let receivedHTTP: CoreMetrics.Counter
    let sentHTTP: CoreMetrics.Counter
    let receivedWebSocket: CoreMetrics.Counter
    let sentWebSocket: CoreMetrics.Counter
    let messagesIn: CoreMetrics.Counter
    let messagesOut: CoreMetrics.Counter
    /// Sessions in use ÷ capacity, as `/ready` counts them (live plus being created, over
    /// `--max-sessions`): the per-pod metric of the Kubernetes HPA (docs/scale-out.md).
    /// Set at each scrape (``recordUtilisation(active:capacity:)``).
    let sessionUtilisation: CoreMetrics.Gauge

    /// Buckets of the reset, step and tool-call latency histograms, in seconds: from 100 µs
    /// (an echo step on the event loop) to 60 s (a sandboxed program near its limit).
    public static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        for operation in CallOperation.allCases { factory.durationHistogramBuckets[operation.durationName] = Self.latencyBuckets }
        self.factory = factory
        sessionsOpen = Meter(label: "openenv_sessions_open", factory: factory)
        sessionsCreated = CoreMetrics.Counter(label: "openenv_sessions_created_total", factory: factory)
        var closed: [SessionCloseCause: CoreMetrics.Counter] = [:]
        for cause in SessionCloseCause.allCases {
            closed[cause] = CoreMetrics.Counter(label: "openenv_sessions_closed_total", dimensions: [("reason", cause.rawValue)], factory: factory)
        }
        sessionsClosed = closed
        var refused: [SessionRefusal: CoreMetrics.Counter] = [:]
        for reason in SessionRefusal.allCases {
            refused[reason] = CoreMetrics.Counter(label: "openenv_sessions_refused_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        sessionsRefused = refused
        unauthorizedHTTP = CoreMetrics.Counter(label: "openenv_unauthorized_requests_total", dimensions: [("transport", "http")], factory: factory)
        unauthorizedWebSocket = CoreMetrics.Counter(
            label: "openenv_unauthorized_requests_total", dimensions: [("transport", "websocket")], factory: factory)
        receivedHTTP = CoreMetrics.Counter(label: "openenv_received_bytes_total", dimensions: [("transport", "http")], factory: factory)
        sentHTTP = CoreMetrics.Counter(label: "openenv_sent_bytes_total", dimensions: [("transport", "http")], factory: factory)
        receivedWebSocket = CoreMetrics.Counter(label: "openenv_received_bytes_total", dimensions: [("transport", "websocket")], factory: factory)
        sentWebSocket = CoreMetrics.Counter(label: "openenv_sent_bytes_total", dimensions: [("transport", "websocket")], factory: factory)
        messagesIn = CoreMetrics.Counter(label: "openenv_websocket_messages_total", dimensions: [("direction", "in")], factory: factory)
        messagesOut = CoreMetrics.Counter(label: "openenv_websocket_messages_total", dimensions: [("direction", "out")], factory: factory)
        sessionUtilisation = CoreMetrics.Gauge(label: "openenv_session_utilisation", factory: factory)
    }

    public static func == (lhs: ServerMetrics, rhs: ServerMetrics) -> Bool { lhs === rhs }

    /// Points the process-wide swift-metrics system at this registry, so metrics recorded
    /// through it (the sandbox's `openenv_sandbox_*`) appear on `/metrics` too. Once per
    /// process (swift-metrics' rule).
    public func bootstrapMetricsSystem() { MetricsSystem.bootstrap(factory) }

    func unauthorized(webSocket: Bool) { (webSocket ? unauthorizedWebSocket : unauthorizedHTTP).increment() }

    func sessionCreated() {
        sessionsCreated.increment()
        sessionsOpen.increment()
    }

    func sessionClosed(_ cause: SessionCloseCause) {
        sessionsClosed[cause]?.increment()
        sessionsOpen.decrement()
    }

    func sessionRefused(_ reason: SessionRefusal) { sessionsRefused[reason]?.increment() }

    func recordUtilisation(active: Int, capacity: Int) {
        sessionUtilisation.record(capacity > 0 ? Double(active) / Double(capacity) : 0)
    }

    func received(http bytes: Int) { receivedHTTP.increment(by: bytes) }
    func sent(http bytes: Int) { sentHTTP.increment(by: bytes) }

    func received(webSocketMessage bytes: Int) {
        messagesIn.increment()
        receivedWebSocket.increment(by: bytes)
    }

    func sent(webSocketMessage bytes: Int) {
        messagesOut.increment()
        sentWebSocket.increment(by: bytes)
    }

    /// The counters and latency histograms of environment calls, for one environment.
    func calls(environment: String) -> CallMetrics { CallMetrics(environment: environment, factory: factory) }

    /// The exposition text of `GET /metrics`: the registry, then this process's own CPU
    /// time, resident memory and open file descriptors (read from `/proc` at each scrape;
    /// the names the Prometheus client libraries use for them).
    public func exposition() -> [UInt8] {
        var out = registry.emitToBuffer()
        let pid = getpid()
        var lines = ""
        if let stats = ProcessStats.sampleProcess(pid: pid) {
            lines += "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
            lines += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total \(stats.cpuSeconds)\n"
            lines += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
            lines += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes \(stats.rssBytes)\n"
        }
        if let fds = ProcessStats.openFileDescriptors(pid: pid) {
            lines += "# HELP process_open_fds Number of open file descriptors.\n"
            lines += "# TYPE process_open_fds gauge\nprocess_open_fds \(fds)\n"
        }
        out.append(contentsOf: lines.utf8)
        return out
    }
}

/// Why a session ended (the `reason` label of `openenv_sessions_closed_total`).
public enum SessionCloseCause: String, Sendable, CaseIterable {
    /// The client closed it: a close message, `openenv/session/close`, `DELETE`, or its
    /// socket went away.
    case client
    /// An HTTP-created session idle past `--session-timeout`.
    case reaped
    /// Its socket did not answer a ping within `--ping-timeout`.
    case pingTimeout = "ping_timeout"
    /// A call ran past `--step-timeout`.
    case deadline
    /// The connection failed: a protocol violation or a message that ends the session.
    case error
    /// Server shutdown.
    case shutdown
}

/// Why a session was not created (the `reason` label of `openenv_sessions_refused_total`).
enum SessionRefusal: String, Sendable, CaseIterable {
    /// The server's `--max-sessions`.
    case capacity
    /// The token's own `max_sessions`.
    case quota
    /// The environment could not be built.
    case factory
}

/// The environment calls that are counted and timed.
enum CallOperation: String, Sendable, CaseIterable {
    case reset, step
    case toolCall = "tool_call"

    var totalName: String { "openenv_\(rawValue)s_total" }
    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .reset: 0
        case .step: 1
        case .toolCall: 2
        }
    }
    var durationName: String { "openenv_\(rawValue)_duration_seconds" }
}

/// How a call ended (the `outcome` label).
enum CallOutcome: String, Sendable, CaseIterable {
    /// Answered.
    case ok
    /// The action or arguments were invalid (a validation error).
    case invalid
    /// The environment threw.
    case error
    /// The step deadline passed.
    case deadline
    /// The session refused the call (closed, unknown, owned by another socket).
    case refused

    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .ok: 0
        case .invalid: 1
        case .error: 2
        case .deadline: 3
        case .refused: 4
        }
    }
}

/// `openenv_resets_total`, `openenv_steps_total`, `openenv_tool_calls_total` by outcome and
/// their duration histograms, for one environment.
struct CallMetrics: Sendable {
    /// By operation, then outcome, in `allCases` order (indexes, not hashes, on every call).
    private let counters: [[CoreMetrics.Counter]]
    private let durations: [CoreMetrics.Timer]

    init(environment: String, factory: PrometheusMetricsFactory) {
        precondition(CallOperation.allCases.map(\.index) == Array(CallOperation.allCases.indices), "CallOperation.index is its position")
        precondition(CallOutcome.allCases.map(\.index) == Array(CallOutcome.allCases.indices), "CallOutcome.index is its position")
        counters = CallOperation.allCases.map { operation in
            CallOutcome.allCases.map { outcome in
                CoreMetrics.Counter(
                    label: operation.totalName, dimensions: [("environment", environment), ("outcome", outcome.rawValue)], factory: factory)
            }
        }
        durations = CallOperation.allCases.map {
            CoreMetrics.Timer(label: $0.durationName, dimensions: [("environment", environment)], factory: factory)
        }
    }

    /// Counts `count` calls of `operation` with `outcome` (more than one for a vector
    /// session's message) and records `duration` once.
    func record(_ operation: CallOperation, _ outcome: CallOutcome, duration: Duration, count: Int = 1) {
        counters[operation.index][outcome.index].increment(by: count)
        let (seconds, attoseconds) = duration.components
        durations[operation.index].recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
