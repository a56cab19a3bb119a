import OpenEnvCore

/// One step of a trajectory, as written to the JSON Lines output.
public struct StepRecord: Sendable {
    public var action: JSONValue
    public var observation: JSONObject
    public var reward: Reward?
    public var done: Bool
}

/// One episode, as written to the JSON Lines output (one line per episode).
public struct EpisodeRecord: Sendable {
    public var episodeID: String
    public var seed: Int?
    public var task: JSONValue
    public var reset: JSONObject
    public var steps: [StepRecord]
    public var seconds: Double
    /// Why the episode ended: `done`, `max_steps`, `policy_stopped` or an error text.
    public var ending: String
    /// What the policy recorded (``Policy/episodeRecord(final:)``), added to the line; its
    /// `messages` replace the ones derived from the steps.
    public var policyFields: JSONObject = [:]

    public var totalReward: Double { steps.reduce(0) { $0 + ($1.reward?.doubleValue ?? 0) } }
    public var length: Int { steps.count }
    /// The episode reached `done` with a positive total reward.
    public var succeeded: Bool { ending == "done" && totalReward > 0 }
    /// The episode ended with an error (server error, lost session, policy failure).
    public var failed: Bool { ending.hasPrefix("error") }

    /// The line written for this episode.
    public func json(chatMessages: Bool) -> JSONValue {
        var object: JSONObject = [
            "episode_id": .string(episodeID), "seed": seed.map(JSONValue.int) ?? nil, "task": task,
            "reset_observation": .object(reset),
            "steps": .array(steps.map { step in
                ["action": step.action, "observation": .object(step.observation), "reward": step.reward?.jsonValue ?? nil, "done": .bool(step.done)]
            }),
            "total_reward": .double(totalReward), "length": .int(length), "seconds": .double(seconds),
            "ending": .string(ending), "success": .bool(succeeded),
        ]
        if chatMessages { object["messages"] = .array(messages) }
        for member in policyFields { object[member.key] = member.value }
        return .object(object)
    }

    /// The episode as chat messages with tool calls (TRL's conversational dataset format):
    /// each `call_tool` step is an assistant message calling the tool, followed by the tool's
    /// answer.
    public var messages: [JSONValue] {
        var messages: [JSONValue] = []
        for (index, step) in steps.enumerated() {
            guard case .string(let name)? = step.action["tool_name"] else { continue }
            let callID = "call_\(index)"
            let arguments = JSONWriter().string(step.action["arguments"] ?? [:])
            messages.append(["role": "assistant", "content": "",
                             "tool_calls": [["id": .string(callID), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]]])
            let content: String
            if let error = step.observation["error"], !error.isNull {
                content = "Error: " + (error["message"]?.stringValue ?? error.description)
            } else if let text = step.observation["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue {
                content = text
            } else {
                content = (step.observation["result"] ?? .null).description
            }
            messages.append(["role": "tool", "tool_call_id": .string(callID), "name": .string(name), "content": .string(content)])
        }
        return messages
    }
}
