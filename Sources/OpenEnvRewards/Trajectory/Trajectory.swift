/// The steps of one episode so far, as a trajectory rubric scores them.
///
/// A value the environment owns (an actor property): `append` each step, `removeAll` on
/// reset, and ask a ``TrajectoryRubric`` for the step's reward.
public struct Trajectory<Action: Sendable, Observation: Sendable>: Sendable {
    public struct Step: Sendable {
        public var action: Action
        public var observation: Observation
        public var done: Bool
    }

    public private(set) var steps: [Step] = []

    public init() {}

    public mutating func append(_ action: Action, _ observation: Observation, done: Bool) {
        steps.append(Step(action: action, observation: observation, done: done))
    }

    public mutating func removeAll() { steps.removeAll() }

    /// `true` once the last step ended the episode.
    public var isComplete: Bool { steps.last?.done ?? false }
    public var count: Int { steps.count }
}
