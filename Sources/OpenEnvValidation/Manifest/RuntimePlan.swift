import Foundation
import OpenEnvCore

/// The episode a runtime check plays (spec §9.1): one reset with an episode id and a seed,
/// then the actions in order until an observation says `done`.
///
/// A package declares it in the JSON file named by `validation.execution.probe_path`
/// (`{"plan_schema_version":"1","reset":{"episode_id":…,"seed":…,"options":{…}},"actions":[…]}`,
/// at most 64 KiB, 1–100 actions, no duplicate keys); without one, the validator builds a
/// plan from the server's `/schema`.
public struct RuntimePlan: Sendable, Equatable {
    public var episodeID: String
    public var seed: Int
    /// Further reset arguments (never `seed` or `episode_id`).
    public var options: JSONObject
    public var actions: [JSONValue]

    public init(episodeID: String, seed: Int, options: JSONObject = [:], actions: [JSONValue]) {
        self.episodeID = episodeID
        self.seed = seed
        self.options = options
        self.actions = actions
    }

    /// The `data` of the reset message: the options, then `seed` and `episode_id`.
    public var resetData: JSONObject {
        var data = options
        data["seed"] = .int(seed)
        data["episode_id"] = .string(episodeID)
        return data
    }

    static let maxBytes = 65_536

    /// Reads and checks a plan file; the error names every problem.
    public static func load(path: String) throws(PlanError) -> RuntimePlan {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PlanError(description: "runtime plan \(path) could not be read") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else { throw PlanError(description: "runtime plan exceeds \(maxBytes) bytes") }
        let value: JSONValue
        do { value = try JSONParser.parse([UInt8](data)) } catch {
            throw PlanError(description: "invalid runtime plan JSON: \(error)")
        }
        return try parse(value)
    }

    public static func parse(_ value: JSONValue) throws(PlanError) -> RuntimePlan {
        var problems: [String] = []
        if let duplicate = firstDuplicateKey(value) { problems.append("duplicate key '\(duplicate)'") }
        guard let root = value.objectValue else { throw PlanError(description: "runtime plan must be a JSON object") }
        for key in root.keys where !["plan_schema_version", "reset", "actions"].contains(key) { problems.append("\(key): unknown key") }
        if root["plan_schema_version"] != "1" { problems.append("plan_schema_version: must be \"1\"") }
        var plan = RuntimePlan(episodeID: "", seed: 0, actions: [])
        if let reset = root["reset"]?.objectValue {
            for key in reset.keys where !["episode_id", "seed", "options"].contains(key) { problems.append("reset.\(key): unknown key") }
            if case .string(let id)? = reset["episode_id"], (1...128).contains(id.count) { plan.episodeID = id } else { problems.append("reset.episode_id: must be a string of 1 to 128 characters") }
            if case .int(let seed)? = reset["seed"], (0...4_294_967_295).contains(seed) { plan.seed = seed } else { problems.append("reset.seed: must be an integer from 0 to 2^32-1") }
            if let options = reset["options"] {
                if let object = options.objectValue {
                    if object["seed"] != nil || object["episode_id"] != nil { problems.append("reset.options: cannot override episode_id or seed") }
                    plan.options = object
                } else {
                    problems.append("reset.options: must be an object")
                }
            }
        } else {
            problems.append("reset: field required (an object with episode_id and seed)")
        }
        if let actions = root["actions"]?.arrayValue, (1...100).contains(actions.count) {
            for (index, action) in actions.enumerated() where action.objectValue == nil { problems.append("actions.\(index): must be an object") }
            plan.actions = actions
        } else {
            problems.append("actions: must be a list of 1 to 100 action objects")
        }
        if !isFinite(value) { problems.append("numbers must be finite") }
        guard problems.isEmpty else { throw PlanError(description: "runtime plan schema validation failed: " + problems.joined(separator: "; ")) }
        return plan
    }

    private static func firstDuplicateKey(_ value: JSONValue) -> String? {
        switch value {
        case .object(let object):
            var seen = Set<String>()
            for member in object {
                if !seen.insert(member.key).inserted { return member.key }
                if let found = firstDuplicateKey(member.value) { return found }
            }
            return nil
        case .array(let items): return items.lazy.compactMap(firstDuplicateKey).first
        default: return nil
        }
    }

    private static func isFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let d): d.isFinite
        case .array(let items): items.allSatisfy(isFinite)
        case .object(let object): object.allSatisfy { isFinite($0.value) }
        default: true
        }
    }
}

public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
