import OpenEnvCore

/// The openenv 0.10 Task API (spec §1.13): `/list_environments` and the five
/// `/{env_name}/…` routes. Bodies are validated first, then the environment name
/// (case-insensitive); environments without tasks answer 501 for every task route.
struct TaskRoutes: Sendable {
    let factory: EnvironmentFactory
    let configuration: ServerConfiguration

    static let suffixes: Set<String> = ["splits", "tasks", "num_tasks", "task", "task_range"]

    func register(on router: inout HTTPRouter) {
        router.add(.GET, "/list_environments", .constant(.json([.string(factory.info.envName)])))
        router.get("/{env_name}/splits") { _, parameters in
            answer(parameters["env_name"] ?? "", method: "list_splits", issues: [])
        }
        let bodies: [(String, String, [(String, RequestBody.Field)])] = [
            ("tasks", "list_tasks", [("split", .requiredString)]),
            ("num_tasks", "num_tasks", [("split", .requiredString)]),
            ("task", "get_task", [("split", .requiredString), ("index", .requiredInt)]),
            ("task_range", "get_task_range", [("split", .requiredString), ("start", .optionalInt), ("stop", .optionalInt)]),
        ]
        for (suffix, method, fields) in bodies {
            router.post("/{env_name}/\(suffix)") { request, parameters in
                let body: JSONObject
                switch RequestBody.object(request, emptyIsObject: false) {
                case .rejected(let response): return response
                case .object(let object): body = object
                }
                let issues = fields.flatMap { RequestBody.check(body, $0.0, $0.1) }
                    + RequestBody.extraKeys(body, allowed: Set(fields.map(\.0)))
                return answer(parameters["env_name"] ?? "", method: method, issues: issues)
            }
        }
    }

    private func answer(_ name: String, method: String, issues: [ValidationIssue]) -> HTTPResponse {
        guard issues.isEmpty else { return .unprocessable(issues) }
        guard name.lowercased() == factory.info.envName.lowercased() else {
            return .detail(.string("unknown environment '\(name)'"), status: .notFound)
        }
        return .detail(.string("\(method) is not supported for this environment"), status: .notImplemented)
    }
}
