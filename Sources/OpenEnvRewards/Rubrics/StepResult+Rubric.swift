import OpenEnvCore

extension StepResult {
    /// A result rewarded with `score.value` whose metadata carries the score's breakdown
    /// under `metadataKey` (see ``RubricScore/metadata``), for trainers to log.
    public init(_ observation: Observation, score: RubricScore, done: Bool = false, metadata: JSONObject = [:], metadataKey: String = "rubric") {
        var metadata = metadata
        metadata[metadataKey] = score.metadata
        self.init(observation, reward: .double(score.value), done: done, metadata: metadata)
    }
}
