import Foundation
import OTel
public import OpenEnvServer

extension ServerTracing {
    /// A tracer exporting spans over OTLP (swift-otel), when the process environment asks for
    /// one; `nil` otherwise, and the server then records nothing.
    ///
    /// Asks for one: `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set
    /// and not empty, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Every
    /// other standard variable swift-otel reads applies: `OTEL_EXPORTER_OTLP_PROTOCOL`
    /// (`http/protobuf`, the default, or `http/json`; gRPC is not built in),
    /// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, the TLS files,
    /// `OTEL_SERVICE_NAME` (default `serviceName`), `OTEL_RESOURCE_ATTRIBUTES`,
    /// `OTEL_TRACES_SAMPLER` and its argument, `OTEL_PROPAGATORS` (default W3C
    /// `tracecontext`), and the batch processor's `OTEL_BSP_*`. Only traces are exported:
    /// metrics stay on `/metrics` and logs on standard error.
    ///
    /// - Throws: swift-otel's configuration error (a malformed value, or the gRPC protocol).
    public static func otlpFromEnvironment(serviceName: String = "openenv") throws -> ServerTracing? {
        let environment = ProcessInfo.processInfo.environment
        let endpoints = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        guard endpoints.contains(where: { !(environment[$0] ?? "").isEmpty }) else { return nil }
        guard environment["OTEL_SDK_DISABLED"]?.lowercased() != "true", environment["OTEL_TRACES_EXPORTER"]?.lowercased() != "none" else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        // swift-otel applies the OTEL_* variables of the process environment over these.
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return ServerTracing(tracer: backend.factory, service: backend.service)
    }
}
