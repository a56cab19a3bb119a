/// The state every environment reports: the episode id and the number of steps since
/// the last reset. Conforming types add their own fields; all of them reach `/ws` `state`
/// replies and the `state` schema.
///
/// The runtime validator checks that after `reset(episodeID: E)` the state's
/// `episode_id` is `E` and that `step_count` counts the steps since that reset.
public protocol EnvironmentState: Codable, Sendable {
    var episodeID: String? { get }
    var stepCount: Int { get }
}

/// The base state: only `episode_id` and `step_count`.
public struct BasicState: EnvironmentState, JSONSchemaDescribed, Equatable {
    public var episodeID: String?
    public var stepCount: Int

    public init(episodeID: String? = nil, stepCount: Int = 0) {
        self.episodeID = episodeID
        self.stepCount = stepCount
    }

    public static var schemaTitle: String { "State" }
    public static var schemaDescription: String? { "Base class for environment state." }
    public static var propertyDescriptions: [String: String] {
        ["episode_id": "Unique identifier for the current episode",
         "step_count": "Number of steps taken in the current episode"]
    }
}
