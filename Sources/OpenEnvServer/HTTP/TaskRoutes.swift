import OpenEnvCore

/// The openenv 0.10 Task API (spec §1.13): `/list_environments` and the five
/// `/{env_name}/…` routes. Bodies are validated first, then the environment name
/// (case-insensitive); environments without tasks answer 501 for every task route.
///
/// For a ``TaskProviding`` environment each call, as in the reference, builds a fresh
/// instance from the factory, asks it, and closes it (it takes no session slot). A
/// ``TaskIndexError`` answers `400 {"detail":"Invalid task index"}`; any other error
/// (factory, unknown split, …) `500 {"detail":"<error>"}`.
struct TaskRoutes: Sendable {
    let registry: SessionRegistry
    var factory: EnvironmentFactory { registry.factory }

    static let suffixes: Set<String> = ["splits", "tasks", "num_tasks", "task", "task_range"]

    /// One Task API call on a provider, producing the 200 body.
    private typealias Call = @Sendable (any TaskProviding) async throws -> JSONValue

    func register(on router: inout HTTPRouter) {
        let envName = factory.info.envName
        router.add(.GET, "/list_environments", .constant(.json([.string(envName)])))
        router.get("/{env_name}/splits") { _, parameters in
            await answer(parameters["env_name"] ?? "", method: "list_splits", issues: []) { provider in
                .array(try await provider.listSplits().map(Self.normalizedSplit))
            }
        }
        let bodies: [(String, String, [(String, RequestBody.Field)], @Sendable (JSONObject) -> Call)] = [
            ("tasks", "list_tasks", [("split", .requiredString)], { body in
                { provider in
                    ["tasks": .array(try await provider.listTasks(split: Self.split(body))), "env_name": .string(envName)]
                }
            }),
            ("num_tasks", "num_tasks", [("split", .requiredString)], { body in
                { provider in ["num_tasks": .int(try await provider.numTasks(split: Self.split(body)))] }
            }),
            ("task", "get_task", [("split", .requiredString), ("index", .requiredInt)], { body in
                { provider in
                    ["task": try await provider.task(split: Self.split(body), index: Self.int(body, "index") ?? 0)]
                }
            }),
            ("task_range", "get_task_range", [("split", .requiredString), ("start", .optionalInt), ("stop", .optionalInt)], { body in
                { provider in
                    let tasks = try await provider.taskRange(
                        split: Self.split(body), start: Self.int(body, "start"), stop: Self.int(body, "stop"))
                    return ["tasks": .array(tasks)]
                }
            }),
        ]
        for (suffix, method, fields, call) in bodies {
            router.post("/{env_name}/\(suffix)") { request, parameters in
                let body: JSONObject
                switch RequestBody.object(request, emptyIsObject: false) {
                case .rejected(let response): return response
                case .object(let object): body = object
                }
                let issues = fields.flatMap { RequestBody.check(body, $0.0, $0.1) }
                    + RequestBody.extraKeys(body, allowed: Set(fields.map(\.0)))
                return await answer(parameters["env_name"] ?? "", method: method, issues: issues, call(body))
            }
        }
    }

    private func answer(_ name: String, method: String, issues: [ValidationIssue], _ call: @escaping Call) async -> HTTPResponse {
        guard issues.isEmpty else { return .unprocessable(issues) }
        guard name.lowercased() == factory.info.envName.lowercased() else {
            return .detail(.string("unknown environment '\(name)'"), status: .notFound)
        }
        guard factory.providesTasks else {
            return .detail(.string("\(method) is not supported for this environment"), status: .notImplemented)
        }
        do {
            let body = try await registry.call(.temporary, countsAsActivity: false) { environment -> JSONValue? in
                guard let provider = environment.tasks else { return nil }
                return try await call(provider)
            }
            guard let body else {
                return .detail(.string("\(method) is not supported for this environment"), status: .notImplemented)
            }
            return .json(body)
        } catch is TaskIndexError {
            return .detail("Invalid task index", status: .badRequest)
        } catch {
            return .detail(.string("\(error)"), status: .internalServerError)
        }
    }

    /// The reference's split normalisation: names become `{"name","type"}` (type `train`,
    /// `validation` or `test` when the name is one of them, else `validation`); objects
    /// pass unchanged; anything else is named by its text.
    static func normalizedSplit(_ split: JSONValue) -> JSONValue {
        switch split {
        case .object: return split
        case .string(let name):
            return ["name": .string(name), "type": .string(["train", "validation", "test"].contains(name) ? name : "validation")]
        default:
            return ["name": .string(pythonText(split)), "type": "validation"]
        }
    }

    /// `str(value)` as Python prints a JSON scalar or container.
    private static func pythonText(_ value: JSONValue) -> String {
        switch value {
        case .null: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): "\(d)"
        default: JSONWriter(style: .python).string(value)
        }
    }

    /// The validated `split` of a body.
    private static func split(_ body: JSONObject) -> String { body["split"]?.stringValue ?? "" }

    /// A validated optional integer of a body (pydantic's lax mode accepts `"2"`).
    private static func int(_ body: JSONObject, _ key: String) -> Int? {
        body[key].flatMap(RequestBody.laxInt)
    }
}
