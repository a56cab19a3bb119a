import OpenEnvCore

/// The `GET /openapi.json` document: OpenAPI 3.1 with `info.version` `1.0.0` (the
/// `openenv-http/1.x` profile) and paths that reflect the mode, which
/// `openenv validate --url` checks. WebSocket routes are not listed, as in the reference.
enum OpenAPIDocument {
    static func make(mode: ServerConfiguration.Mode, info: EnvironmentInfo) -> JSONValue {
        let json: JSONValue = ["application/json": ["schema": ["type": "object"]]]
        func operation(_ summary: String, body: Bool) -> JSONValue {
            var op: JSONObject = ["summary": .string(summary), "responses": ["200": ["description": "Successful Response", "content": json]]]
            if body { op["requestBody"] = ["content": json, "required": true] }
            return .object(op)
        }
        var paths = JSONObject()
        paths["/list_environments"] = ["get": operation("List environments", body: false)]
        paths["/{env_name}/splits"] = ["get": operation("List splits", body: false)]
        for (suffix, summary) in [("tasks", "List tasks"), ("num_tasks", "Count tasks"), ("task", "Get a task"), ("task_range", "Get a task range")] {
            paths["/{env_name}/\(suffix)"] = ["post": operation(summary, body: true)]
        }
        if mode == .simulation {
            paths["/reset"] = ["post": operation("Reset the environment", body: true)]
            paths["/step"] = ["post": operation("Execute an action", body: true)]
            paths["/state"] = ["get": operation("Get the environment state", body: false)]
        }
        paths["/metadata"] = ["get": operation("Environment metadata", body: false)]
        paths["/health"] = ["get": operation("Liveness", body: false)]
        paths["/ready"] = ["get": operation("Readiness: 503 when draining or at capacity", body: false)]
        paths["/schema"] = ["get": operation("JSON schemas of action, observation and state", body: false)]
        paths["/mcp"] = ["post": operation("JSON-RPC 2.0 (OpenEnv MCP dialect)", body: true)]
        return [
            "openapi": "3.1.0",
            "info": ["title": "OpenEnv Environment HTTP API", "description": .string("\(info.name): \(info.description)"),
                     "version": "1.0.0", "license": ["name": "BSD-3-Clause"]],
            "paths": .object(paths),
        ]
    }
}
