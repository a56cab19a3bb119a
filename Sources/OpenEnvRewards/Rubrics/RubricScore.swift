import OpenEnvCore

/// The result of evaluating a rubric: the reward value and the scores of the named
/// rubrics below it, for logging.
public struct RubricScore: Sendable, Equatable {
    /// One named rubric's score; `path` joins the names from the root with dots.
    public struct Component: Sendable, Equatable {
        public var path: String
        public var value: Double

        public init(_ path: String, _ value: Double) {
            self.path = path
            self.value = value
        }
    }

    /// The reward.
    public var value: Double
    /// Every named rubric that was evaluated, depth-first, parents before children.
    /// Children a container did not evaluate (after a ``Sequential`` stage failed, after
    /// ``Maximum`` stopped early) are absent.
    public var components: [Component]
    /// What a trainer should know besides the numbers, e.g. that a judge's configured
    /// fallback score replaced a failed call (with the failure).
    public var notes: [String]

    public init(_ value: Double, components: [Component] = [], notes: [String] = []) {
        self.value = value
        self.components = components
        self.notes = notes
    }

    /// The score of the component at `path`, if it was evaluated.
    public subscript(path: String) -> Double? { components.first { $0.path == path }?.value }

    /// This score seen from a container that named it `name`: its own value at `name`,
    /// its components below `name.`.
    func components(under name: String) -> [Component] {
        [Component(name, value)] + components.map { Component("\(name).\($0.path)", $0.value) }
    }

    /// The score for observation metadata:
    /// `{"score": 0.85, "components": {"answer": 1.0, "format": 0.5}, "notes": [...]}`
    /// (`notes` only when there are some).
    public var metadata: JSONValue {
        var components = JSONObject()
        for component in self.components { components[component.path] = .double(component.value) }
        var object: JSONObject = ["score": .double(value), "components": .object(components)]
        if !notes.isEmpty { object["notes"] = .array(notes.map(JSONValue.string)) }
        return .object(object)
    }
}
