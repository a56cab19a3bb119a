import Foundation
import OpenEnvCore
import Yams

/// An environment package's `openenv.yaml` (spec §9.1), read the way the reference reads it,
/// so a manifest written for the Python `openenv validate` means the same here.
///
/// Top-level keys: `name` (required), `version`, `port`, `variables` (public Space
/// variables for `openenv push`), and the `validation:` block with the reference's schema
/// (extra keys are errors; defaults as in the reference's normalized manifest).
public struct Manifest: Sendable {
    public var name: String
    public var version: String?
    /// The port the server listens on in a container; 8000 when absent.
    public var port: Int
    /// `variables:`: public environment variables of the Hugging Face Space.
    public var variables: [(key: String, value: String)]
    /// The `validation:` block; `nil` when absent (which `static.manifest` fails).
    public var validation: ValidationDeclaration?
    /// The whole document as JSON.
    public var document: JSONObject

    /// Problems found while reading; the manifest is unusable for grading when non-empty.
    public var errors: [String]
    /// What to change when `errors` is non-empty.
    public var remediation: String?
}

/// The reference's `validation:` block (spec §9.1).
public struct ValidationDeclaration: Sendable {
    public struct Reward: Sendable {
        public var range: ClosedRange<Double> = 0...1
        public var oracleTolerance: Double = 0
        public var floorMargin: Double
        /// Declared by environments whose rewards vary between identical episodes (LLM
        /// judges): determinism is then checked on rewards within this tolerance.
        public var varianceTolerance: Double?
    }
    public struct Resources: Sendable {
        public var cpu: Double
        public var memoryMB: Int
        public var diskMB: Int
        public var episodeTimeout: Double
        public var gpus: Int = 0
        public var gpuTypes: [String] = []
    }
    public struct Execution: Sendable {
        public var kind = "openenv_ws"
        public var probePath = "validation/runtime.json"
        public var dockerfile = "Dockerfile"
        public var context = "."
        public var agentBoundary = "api"
        public var requiresCredentials = false
    }

    public var reward: Reward
    public var resources: Resources
    /// The `capabilities` mapping as written (normalized with defaults in ``normalized``).
    public var capabilities: JSONObject
    public var tags: [String]
    public var networkMode: String
    public var allowedHosts: [String]
    public var judge: JSONValue
    public var taskDistribution: JSONValue
    public var execution: Execution?
    /// The normalized manifest in the reference report's shape (`manifest` of §9.3).
    public var normalized: JSONValue
}

/// Why a package directory cannot be validated at all (exit code 2).
public struct PackageError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension Manifest {
    static let validationRemediation =
        "add a `validation:` block to openenv.yaml declaring reward (range, oracle_tolerance, floor_margin), resources (cpu, memory_mb, disk_mb, episode_timeout_s), capabilities (verifier, oracle, ...), and types (tags); `openenv init` writes one"
    static let schemaRemediation = "fix the `validation:` block in openenv.yaml so it matches the reference's manifest schema (the messages above name each field)"

    /// Reads `<directory>/openenv.yaml`. Throws ``PackageError`` when the file is missing
    /// or the directory holds another package format (`task.toml`, `task.md`); YAML and
    /// schema problems are collected in ``errors``.
    public static func load(directory: String) throws(PackageError) -> Manifest {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PackageError(description: "not a package directory: \(directory)")
        }
        let path = (directory as NSString).appendingPathComponent("openenv.yaml")
        let others = ["task.toml", "task.md"].filter { fm.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
        if fm.fileExists(atPath: path), !others.isEmpty {
            throw PackageError(description: "ambiguous package: \(directory) has openenv.yaml and \(others.joined(separator: ", ")); a package must carry exactly one well-known file")
        }
        guard fm.fileExists(atPath: path) else {
            if let other = others.first {
                throw PackageError(description: "unsupported package: \(directory) is a \(other) package; only openenv.yaml packages can be validated")
            }
            throw PackageError(description: "unrecognized package: \(directory) has no openenv.yaml (run `openenv init` to create a package)")
        }
        guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PackageError(description: "cannot read \(path) as UTF-8 text")
        }
        return parse(yaml: text)
    }

    /// Parses the text of an `openenv.yaml`.
    public static func parse(yaml text: String) -> Manifest {
        var manifest = Manifest(name: "", version: nil, port: 8000, variables: [], validation: nil, document: [:], errors: [], remediation: nil)
        let root: JSONValue
        do {
            root = try YAMLConversion.json(from: text)
        } catch {
            manifest.errors = ["openenv.yaml is not valid YAML: \(error)"]
            return manifest
        }
        guard let document = root.objectValue else {
            manifest.errors = ["openenv.yaml must be a YAML mapping, got \(ManifestReader.describe(root))"]
            return manifest
        }
        manifest.document = document
        var reader = ManifestReader()
        if let name = reader.string(document, "name", at: "manifest") {
            manifest.name = name
        } else if document["name"] == nil || document["name"] == .null {
            reader.error("name", "field required")
        }
        switch document["version"] {
        case .string(let version)?: manifest.version = version
        case .int, .double: manifest.version = document["version"].map { JSONWriter().string($0) }
        case nil, .null?: break
        case let other?: reader.error("version", "must be a string, got \(ManifestReader.describe(other))")
        }
        if document["port"] != nil {
            if let port = reader.integer(document, "port", at: "manifest", atLeast: 1), port <= 65535 { manifest.port = port }
            else if case .int(let port)? = document["port"], port > 65535 { reader.error("manifest.port", "must be at most 65535, got \(port)") }
        }
        if let variables = document["variables"], variables != .null {
            if let object = variables.objectValue {
                for member in object {
                    switch member.value {
                    case .string(let text): manifest.variables.append((member.key, text))
                    case .int, .double, .bool: manifest.variables.append((member.key, JSONWriter().string(member.value)))
                    default: reader.error("variables.\(member.key)", "must be a string, number or boolean, got \(ManifestReader.describe(member.value))")
                    }
                }
            } else {
                reader.error("variables", "must be a mapping of NAME: value, got \(ManifestReader.describe(variables))")
            }
        }
        guard let block = document["validation"], block != .null else {
            let hint = document.keys.first { $0 != "validation" && ManifestReader.closest(to: $0, in: ["validation"]) != nil }
            reader.error("validation", "openenv.yaml has no `validation:` block" + (hint.map { " (found '\($0)': a misspelling?)" } ?? ""))
            manifest.errors = reader.errors
            manifest.remediation = validationRemediation
            return manifest
        }
        manifest.validation = ValidationDeclaration.read(block, name: manifest.name, version: manifest.version, reader: &reader)
        manifest.errors = reader.errors
        if !reader.errors.isEmpty {
            manifest.validation = nil
            manifest.remediation = schemaRemediation
        }
        return manifest
    }
}

extension ValidationDeclaration {
    static func read(_ block: JSONValue, name: String, version: String?, reader: inout ManifestReader) -> ValidationDeclaration? {
        let path = "validation"
        guard let object = reader.object(block, at: path,
            allowed: ["reward", "resources", "capabilities", "types", "network", "judge", "task_distribution", "execution"],
            required: ["reward", "resources", "capabilities", "types"])
        else { return nil }

        // reward
        var reward = Reward(floorMargin: 0)
        if let r = reader.object(object["reward"], at: path + ".reward", allowed: ["range", "oracle_tolerance", "floor_margin", "variance_tolerance"], required: ["floor_margin"]) {
            if let range = r["range"], range != .null {
                if let pair = range.arrayValue, pair.count == 2, let low = pair[0].doubleValue, let high = pair[1].doubleValue, low.isFinite, high.isFinite {
                    if low < high { reward.range = low...high } else { reader.error(path + ".reward.range", "must be strictly increasing, got [\(ManifestReader.format(low)), \(ManifestReader.format(high))]") }
                } else {
                    reader.error(path + ".reward.range", "must be a list of two finite numbers [low, high], got \(ManifestReader.describe(range))")
                }
            }
            reward.oracleTolerance = reader.number(r, "oracle_tolerance", at: path + ".reward", atLeast: 0) ?? 0
            reward.floorMargin = reader.number(r, "floor_margin", at: path + ".reward", atLeast: 0) ?? 0
            reward.varianceTolerance = reader.number(r, "variance_tolerance", at: path + ".reward", atLeast: 0)
        }

        // resources
        var resources = Resources(cpu: 0, memoryMB: 0, diskMB: 0, episodeTimeout: 0)
        if let r = reader.object(object["resources"], at: path + ".resources", allowed: ["cpu", "memory_mb", "disk_mb", "episode_timeout_s", "gpus", "gpu_types"],
                                 required: ["cpu", "memory_mb", "disk_mb", "episode_timeout_s"]) {
            resources.cpu = reader.number(r, "cpu", at: path + ".resources", greaterThan: 0) ?? 0
            resources.memoryMB = reader.integer(r, "memory_mb", at: path + ".resources", greaterThan: 0) ?? 0
            resources.diskMB = reader.integer(r, "disk_mb", at: path + ".resources", greaterThan: 0) ?? 0
            resources.episodeTimeout = reader.number(r, "episode_timeout_s", at: path + ".resources", greaterThan: 0) ?? 0
            resources.gpus = reader.integer(r, "gpus", at: path + ".resources", atLeast: 0) ?? 0
            resources.gpuTypes = reader.strings(r, "gpu_types", at: path + ".resources") ?? []
            if !resources.gpuTypes.isEmpty && resources.gpus == 0 { reader.error(path + ".resources", "gpu_types is declared but gpus is 0") }
        }

        // capabilities
        let cpath = path + ".capabilities"
        var capabilities: JSONObject = [:]
        var llmJudged = false
        if let c = reader.object(object["capabilities"], at: cpath,
            allowed: ["oracle", "verifier", "set_state", "llm_judged", "rubric_tree", "task_api", "canaries", "declared_tools", "declared_task_count"],
            required: ["verifier"]) {
            capabilities = c
            var oracle: JSONValue = .null
            if let o = reader.object(c["oracle"], at: cpath + ".oracle", allowed: ["form", "location"], required: ["form", "location"]) {
                let form = reader.string(o, "form", at: cpath + ".oracle", oneOf: ["injected_state", "script"])
                let location = reader.string(o, "location", at: cpath + ".oracle")
                oracle = ["form": form.map(JSONValue.string) ?? .null, "location": location.map(JSONValue.string) ?? .null]
            }
            var verifier: JSONValue = .null
            if let v = reader.object(c["verifier"], at: cpath + ".verifier", allowed: ["kind", "entry"], required: ["kind"]) {
                let kind = reader.string(v, "kind", at: cpath + ".verifier", oneOf: ["reward_channel", "script"])
                let entry = reader.string(v, "entry", at: cpath + ".verifier")
                if kind == "script" && entry == nil { reader.error(cpath + ".verifier.entry", "required when verifier.kind is 'script'") }
                if kind == "reward_channel" && entry != nil { reader.error(cpath + ".verifier.entry", "only valid when verifier.kind is 'script'") }
                verifier = ["kind": kind.map(JSONValue.string) ?? .null, "entry": entry.map(JSONValue.string) ?? .null]
            }
            let setState = reader.bool(c, "set_state", at: cpath) ?? false
            llmJudged = reader.bool(c, "llm_judged", at: cpath) ?? false
            let rubricTree = reader.bool(c, "rubric_tree", at: cpath) ?? false
            let taskAPI = reader.bool(c, "task_api", at: cpath) ?? false
            let canaries = reader.string(c, "canaries", at: cpath)
            let tools = reader.strings(c, "declared_tools", at: cpath) ?? []
            var counts: JSONObject = [:]
            if let declared = c["declared_task_count"], declared != .null {
                if let object = declared.objectValue {
                    for member in object {
                        if case .int = member.value { counts[member.key] = member.value } else {
                            reader.error(cpath + ".declared_task_count." + member.key, "must be an integer, got \(ManifestReader.describe(member.value))")
                        }
                    }
                } else {
                    reader.error(cpath + ".declared_task_count", "must be a mapping of split name to task count, got \(ManifestReader.describe(declared))")
                }
            }
            if oracle["form"] == "injected_state" && !setState {
                reader.error(cpath + ".oracle.form", "'injected_state' requires the set_state capability; declare set_state: true or use form 'script'")
            }
            capabilities = [
                "oracle": oracle, "verifier": verifier, "set_state": .bool(setState), "llm_judged": .bool(llmJudged),
                "rubric_tree": .bool(rubricTree), "task_api": .bool(taskAPI), "canaries": canaries.map(JSONValue.string) ?? .null,
                "declared_tools": .array(tools.map(JSONValue.string)), "declared_task_count": .object(counts),
            ]
        }

        // types
        var tags: [String] = []
        if let t = reader.object(object["types"], at: path + ".types", allowed: ["tags"], required: ["tags"]) {
            tags = reader.strings(t, "tags", at: path + ".types", nonEmptyItems: true) ?? []
            if t["tags"] != nil && tags.isEmpty { reader.error(path + ".types.tags", "must list at least one tag") }
        }

        // network
        var networkMode = "public"
        var allowedHosts: [String] = []
        if let n = reader.object(object["network"], at: path + ".network", allowed: ["mode", "allowed_hosts"]) {
            networkMode = reader.string(n, "mode", at: path + ".network", oneOf: ["public", "no-network", "allowlist"]) ?? "public"
            allowedHosts = reader.strings(n, "allowed_hosts", at: path + ".network") ?? []
            if networkMode != "allowlist" && !allowedHosts.isEmpty { reader.error(path + ".network.allowed_hosts", "only valid when mode is 'allowlist'") }
            if networkMode == "allowlist" && allowedHosts.isEmpty { reader.error(path + ".network.allowed_hosts", "mode 'allowlist' requires at least one allowed host") }
        }

        // judge, task distribution
        var judge: JSONValue = .null
        if let j = reader.object(object["judge"], at: path + ".judge", allowed: ["model", "version", "params"], required: ["model", "version"]) {
            let model = reader.string(j, "model", at: path + ".judge")
            let version = reader.string(j, "version", at: path + ".judge")
            var params: JSONValue = [:]
            if let p = j["params"], p != .null {
                if p.objectValue != nil { params = p } else { reader.error(path + ".judge.params", "must be a mapping") }
            }
            judge = ["model": model.map(JSONValue.string) ?? .null, "version": version.map(JSONValue.string) ?? .null, "params": params]
        }
        if llmJudged && judge == .null { reader.error(path + ".judge", "a judge pin is required when capabilities.llm_judged is true") }
        if llmJudged && reward.varianceTolerance == nil { reader.error(path + ".reward.variance_tolerance", "required when capabilities.llm_judged is true") }
        if !llmJudged && judge != .null { reader.error(path + ".judge", "a judge pin is declared but capabilities.llm_judged is false") }
        var taskDistribution: JSONValue = .null
        if let t = reader.object(object["task_distribution"], at: path + ".task_distribution", allowed: ["generator_seed", "dataset_version", "generator_model"]) {
            let seed = reader.integer(t, "generator_seed", at: path + ".task_distribution")
            let dataset = reader.string(t, "dataset_version", at: path + ".task_distribution")
            let model = reader.string(t, "generator_model", at: path + ".task_distribution")
            taskDistribution = ["generator_seed": seed.map(JSONValue.int) ?? .null, "dataset_version": dataset.map(JSONValue.string) ?? .null,
                                "generator_model": model.map(JSONValue.string) ?? .null]
        }

        // execution (manifest schema 2)
        var execution: Execution?
        if object["execution"] != nil {
            var e = Execution()
            if let x = reader.object(object["execution"] ?? [:], at: path + ".execution",
                                     allowed: ["kind", "probe_path", "dockerfile", "context", "agent_boundary", "requires_credentials"]) {
                e.kind = reader.string(x, "kind", at: path + ".execution", oneOf: ["openenv_ws"]) ?? e.kind
                e.agentBoundary = reader.string(x, "agent_boundary", at: path + ".execution", oneOf: ["api"]) ?? e.agentBoundary
                e.requiresCredentials = reader.bool(x, "requires_credentials", at: path + ".execution") ?? false
                for (key, keyPath) in [("probe_path", \Execution.probePath), ("dockerfile", \Execution.dockerfile), ("context", \Execution.context)] {
                    guard let value = reader.string(x, key, at: path + ".execution") else { continue }
                    if let problem = packageRelativeProblem(value, mustNameFile: key != "context") {
                        reader.error(path + ".execution." + key, problem)
                    } else {
                        e[keyPath: keyPath] = value
                    }
                }
            }
            execution = e
        }

        guard reader.errors.isEmpty else { return nil }
        var normalized: JSONObject = [
            "manifest_schema_version": .string(execution == nil ? "1" : "2"),
            "name": .string(name),
            "version": version.map(JSONValue.string) ?? .null,
            "signature": "openenv.yaml",
            "reward": [
                "range": [.double(reward.range.lowerBound), .double(reward.range.upperBound)],
                "oracle_tolerance": .double(reward.oracleTolerance), "floor_margin": .double(reward.floorMargin),
                "variance_tolerance": reward.varianceTolerance.map(JSONValue.double) ?? .null,
            ],
            "judge": judge,
            "resources": [
                "cpu": .double(resources.cpu), "memory_mb": .int(resources.memoryMB), "disk_mb": .int(resources.diskMB),
                "episode_timeout_s": .double(resources.episodeTimeout), "gpus": .int(resources.gpus),
                "gpu_types": .array(resources.gpuTypes.map(JSONValue.string)),
            ],
            "task_distribution": taskDistribution,
            "network": ["mode": .string(networkMode), "allowed_hosts": .array(allowedHosts.map(JSONValue.string))],
            "capabilities": .object(capabilities),
            "types": ["tags": .array(tags.map(JSONValue.string))],
        ]
        if let execution {
            normalized["execution"] = [
                "kind": .string(execution.kind), "probe_path": .string(execution.probePath), "dockerfile": .string(execution.dockerfile),
                "context": .string(execution.context), "agent_boundary": .string(execution.agentBoundary),
                "requires_credentials": .bool(execution.requiresCredentials),
            ]
        }
        return ValidationDeclaration(
            reward: reward, resources: resources, capabilities: capabilities, tags: tags, networkMode: networkMode,
            allowedHosts: allowedHosts, judge: judge, taskDistribution: taskDistribution, execution: execution, normalized: .object(normalized))
    }

    /// Why `value` is not a portable package-relative path, or `nil` when it is.
    static func packageRelativeProblem(_ value: String, mustNameFile: Bool) -> String? {
        let parts = value.split(separator: "/", omittingEmptySubsequences: true)
        if value.isEmpty || value.contains("\\") || value.contains(":") || value.contains("\0") || value.hasPrefix("/") || parts.contains("..") {
            return "must be a portable package-relative path without '..', got '\(value)'"
        }
        if mustNameFile && parts.allSatisfy({ $0 == "." }) { return "must name a file, got '\(value)'" }
        return nil
    }
}

/// YAML to JSON through Yams' node tree, keeping mapping order and YAML's scalar types.
enum YAMLConversion {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func json(from text: String) throws -> JSONValue {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return try json(node)
    }

    private static func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map(JSONValue.int) ?? .string(scalar.string)
            case Tag.Name.float.rawValue: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .mapping(let mapping):
            var object = JSONObject()
            for pair in mapping {
                guard case .scalar(let key) = pair.key else {
                    throw Failure(description: "mapping keys must be plain scalars\(pair.key.mark.map { " (line \($0.line))" } ?? "")")
                }
                object[key.string] = try json(pair.value)
            }
            return .object(object)
        case .alias:
            throw Failure(description: "YAML aliases are not supported\(node.mark.map { " (line \($0.line))" } ?? "")")
        }
    }
}
