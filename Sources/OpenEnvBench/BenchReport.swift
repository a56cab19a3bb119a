import OpenEnvCore

extension BenchResult {
    /// The human-readable summary: one `RESULT` line, plus the hold figures.
    public var text: String {
        var line = "RESULT mode=\(mode.rawValue) C=\(concurrency) "
        if environmentsPerMessage > 1 { line += "num_envs=\(environmentsPerMessage) (steps are env-steps, latencies per message) " }
        line += "steps=\(completedSteps) in \(format(seconds, 2)) s: "
        line += "\(format(stepsPerSecond, 0)) steps/s  p50 \(format(latency.p50, 2)) ms  p90 \(format(latency.p90, 2)) ms  "
        line += "p99 \(format(latency.p99, 2)) ms  max \(format(latency.max, 2)) ms  errors \(errors)"
        if refused > 0 { line += " (refused \(refused))" }
        if let cpu = serverCPUMillisecondsPerStep { line += "  server \(format(cpu, 3)) ms CPU/step" }
        if let cores = serverCores { line += " (\(format(cores, 2)) cores)" }
        if let rss = serverRSSBytes { line += "  server RSS \(format(Double(rss) / 1_048_576, 1)) MiB" }
        line += "  generator \(format(generatorCPUMillisecondsPerStep, 3)) ms CPU/step"
        if let hold = holdRSS {
            let held = concurrency - refused
            let perSession = held > 0 ? Double(hold.held - hold.idle) / Double(held) / 1024 : 0
            line += "\nHOLD sessions=\(held) RSS idle \(mib(hold.idle)) MiB, held \(mib(hold.held)) MiB (\(format(perSession, 1)) KiB/session), "
            line += "after a step each \(mib(hold.afterStep)) MiB, after close \(mib(hold.afterClose)) MiB"
        }
        if let errorSample { line += "\nfirst error: \(errorSample)" }
        return line
    }

    /// The summary as JSON (one object per run).
    public var json: JSONValue {
        var object: JSONObject = [
            "mode": .string(mode.rawValue), "concurrency": .int(concurrency), "steps_per_session": .int(stepsPerSession),
            "completed_steps": .int(completedSteps), "seconds": .double(seconds), "steps_per_s": .double(stepsPerSecond),
            "p50_ms": .double(latency.p50), "p90_ms": .double(latency.p90), "p99_ms": .double(latency.p99), "max_ms": .double(latency.max),
            "errors": .int(errors), "refused": .int(refused), "generator_cpu_ms_per_step": .double(generatorCPUMillisecondsPerStep),
            "action": action, "num_envs": .int(environmentsPerMessage),
        ]
        object["error_sample"] = errorSample.map(JSONValue.string) ?? nil
        object["server_cpu_ms_per_step"] = serverCPUMillisecondsPerStep.map(JSONValue.double) ?? nil
        object["server_cores"] = serverCores.map(JSONValue.double) ?? nil
        object["server_rss_bytes"] = serverRSSBytes.map(JSONValue.int) ?? nil
        if let hold = holdRSS {
            object["hold_rss_bytes"] = ["idle": .int(hold.idle), "held": .int(hold.held), "after_step": .int(hold.afterStep), "after_close": .int(hold.afterClose)]
        }
        return .object(object)
    }

    private func mib(_ bytes: Int) -> String { format(Double(bytes) / 1_048_576, 1) }
}

func format(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
    return text
}
