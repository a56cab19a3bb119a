import OpenEnvCore

/// The reference runtime validator's six HTTP criteria (spec §9.4), with its ids,
/// descriptions, expected/actual values and pass conditions.
enum EndpointChecks {
    static func run(_ server: ServerUnderTest, into report: inout RunningEnvironmentReport) async {
        var paths: JSONObject?

        // 1. openapi_version_available
        let openAPIDescription = "GET /openapi.json returns OpenAPI info.version"
        let openAPIExpected: JSONValue = ["status_code": 200, "info.version": "string"]
        do {
            let response = try await server.http.get("/openapi.json")
            let body = response.json
            if response.status == 200, let version = body?["info"]?["version"]?.stringValue {
                report.standardVersion = version
                paths = body?["paths"]?.objectValue
                report.append(Criterion("openapi_version_available", openAPIDescription, passed: true, expected: openAPIExpected,
                                                 actual: ["status_code": .int(response.status), "info.version": .string(version)]))
            } else {
                report.append(Criterion("openapi_version_available", openAPIDescription, passed: false,
                    details: "Response missing required OpenAPI info.version field", expected: openAPIExpected,
                    actual: ["status_code": .int(response.status), "body_type": .string(body.map(pythonTypeName) ?? "non_json")]))
            }
        } catch {
            report.append(Criterion("openapi_version_available", openAPIDescription, passed: false, details: error.description, expected: openAPIExpected))
        }

        // 2. health_endpoint
        let healthExpected: JSONValue = ["status_code": 200, "status": "healthy"]
        do {
            let response = try await server.http.get("/health")
            let status = response.json?["status"]
            report.append(Criterion("health_endpoint", "GET /health returns healthy status",
                passed: response.status == 200 && status == "healthy", expected: healthExpected,
                actual: ["status_code": .int(response.status), "status": status ?? .null]))
        } catch {
            report.append(Criterion("health_endpoint", "GET /health returns healthy status", passed: false, details: error.description, expected: healthExpected))
        }

        // 3. metadata_endpoint
        let metadataExpected: JSONValue = ["status_code": 200, "fields": ["name", "description"]]
        do {
            let response = try await server.http.get("/metadata")
            let body = response.json?.objectValue
            let name = body?["name"], description = body?["description"]
            report.append(Criterion("metadata_endpoint", "GET /metadata returns name and description",
                passed: response.status == 200 && name?.stringValue != nil && description?.stringValue != nil, expected: metadataExpected,
                actual: ["status_code": .int(response.status), "name": name ?? .null, "description": description ?? .null]))
        } catch {
            report.append(Criterion("metadata_endpoint", "GET /metadata returns name and description", passed: false, details: error.description, expected: metadataExpected))
        }

        // 4. schema_endpoint
        let schemaDescription = "GET /schema returns action, observation, and state schemas"
        let schemaExpected: JSONValue = ["status_code": 200, "fields": ["action", "observation", "state"]]
        do {
            let response = try await server.http.get("/schema")
            let body = response.json
            let has = { (key: String) in body?[key]?.objectValue != nil }
            report.append(Criterion("schema_endpoint", schemaDescription,
                passed: response.status == 200 && has("action") && has("observation") && has("state"), expected: schemaExpected,
                actual: ["status_code": .int(response.status), "has_action": .bool(has("action")), "has_observation": .bool(has("observation")),
                         "has_state": .bool(has("state"))]))
        } catch {
            report.append(Criterion("schema_endpoint", schemaDescription, passed: false, details: error.description, expected: schemaExpected))
        }

        // 5. mcp_endpoint
        let mcpDescription = "POST /mcp is reachable and returns JSON-RPC payload"
        let mcpExpected: JSONValue = ["status_code": 200, "jsonrpc": "2.0"]
        do {
            let response = try await server.http.post("/mcp", json: [:])
            let version = response.json?.objectValue?["jsonrpc"]
            report.append(Criterion("mcp_endpoint", mcpDescription, passed: response.status == 200 && version == "2.0", expected: mcpExpected,
                                             actual: ["status_code": .int(response.status), "jsonrpc": version ?? .null]))
        } catch {
            report.append(Criterion("mcp_endpoint", mcpDescription, passed: false, details: error.description, expected: mcpExpected))
        }

        // 6. mode_endpoint_consistency
        let modeDescription = "OpenAPI endpoint set matches OpenEnv mode contract"
        if let paths, !paths.isEmpty {
            let reset = paths["/reset"] != nil, step = paths["/step"] != nil, state = paths["/state"] != nil
            report.mode = reset ? "simulation" : "production"
            let consistent = reset ? step && state : !step && !state
            report.append(Criterion("mode_endpoint_consistency", modeDescription, passed: consistent,
                expected: ["/reset": .bool(reset), "/step": .bool(reset), "/state": .bool(reset)],
                actual: ["/reset": .bool(reset), "/step": .bool(step), "/state": .bool(state)]))
        } else {
            report.append(Criterion("mode_endpoint_consistency", modeDescription, passed: false,
                details: "Cannot determine mode without OpenAPI paths", expected: ["openapi.paths": "present"], actual: ["openapi.paths": "missing"]))
        }
    }

    private static func pythonTypeName(_ value: JSONValue) -> String { value.pythonTypeName }
}
