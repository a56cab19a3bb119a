import OpenEnvCore

extension BrowserEnvironment {
    /// The reference `browsergym_env`'s action: one BrowserGym action string.
    public struct Action: Codable, Sendable, JSONSchemaDescribed {
        public var actionStr: String

        public init(actionStr: String) { self.actionStr = actionStr }

        public static var schemaTitle: String { "BrowserGymAction" }
        public static var schemaDescription: String? { "Action to be executed in the BrowserGym environment." }
        public static var propertyDescriptions: [String: String] {
            ["action_str": "BrowserGym action string (e.g., \"click('13')\", \"fill('7', 'hello')\", \"scroll(0, 200)\")"]
        }
    }

    /// The reference's observation fields, exactly (its typed client forbids others).
    public struct Observation: Codable, Sendable, JSONSchemaDescribed {
        /// The page as text: the accessibility tree (as `axtree_txt`).
        public var text: String
        public var url: String
        /// `[height][width][RGB]`, as the reference transports it; not produced yet (`null`).
        public var screenshot: [[[Int]]]?
        public var goal: String
        public var axtreeTxt: String
        public var prunedHtml: String
        public var error: String
        public var lastActionError: Bool

        public static var schemaTitle: String { "BrowserGymObservation" }
        public static var schemaDescription: String? { "Observation returned from the BrowserGym environment." }
        public static var propertyDescriptions: [String: String] {
            ["text": "Text representation of the page (accessibility tree)", "url": "Current URL of the page",
             "screenshot": "Screenshot as [height, width, channels] (null: not produced)", "goal": "Task goal/instruction for the current episode",
             "axtree_txt": "Full accessibility tree as text, elements prefixed by their [bid]",
             "pruned_html": "Pruned HTML of the page (shown elements, a few attributes, live values)",
             "error": "Error message if the last action failed", "last_action_error": "Whether the last action resulted in an error"]
        }
    }

    /// The reference's state fields.
    public struct State: EnvironmentState, JSONSchemaDescribed {
        public var episodeID: String?
        public var stepCount: Int
        public var benchmark: String
        public var taskName: String
        public var taskId: String?
        public var goal: String
        public var currentUrl: String
        public var maxSteps: Int?
        public var cumReward: Double

        public static var schemaTitle: String { "BrowserGymState" }
        public static var schemaDescription: String? { "State of the BrowserGym environment." }
    }
}
