import OpenEnvCore

/// An MCP environment with one tool, `nap`, that sleeps for the milliseconds asked, so the
/// deadline can be exercised through every transport that calls tools. Its ledger counts
/// instances, closes and overlapping calls like ``ProbeEnvironment``'s.
actor NappingToolsEnvironment: Environment, ToolProviding {
    typealias Action = MCPAction
    typealias Observation = MCPObservation
    typealias ResetObservation = EmptyObservation

    static let info = EnvironmentInfo(name: "NappingTools", envName: "napping_tools", description: "test tools", defaultMaxSessions: 8)

    struct NapArguments: Codable, Sendable { var milliseconds: Int }

    let ledger: ProbeLedger
    nonisolated let toolbox: Toolbox
    private(set) var state = BasicState()

    init(ledger: ProbeLedger) {
        self.ledger = ledger
        var toolbox = Toolbox()
        try! toolbox.register("nap", description: "Sleeps.") { (arguments: NapArguments) in
            ledger.enter()
            defer { ledger.leave() }
            try await Task.sleep(for: .milliseconds(arguments.milliseconds))
            return "rested"
        }
        self.toolbox = toolbox
        ledger.didMake()
    }

    static func factory(_ ledger: ProbeLedger) -> EnvironmentFactory { EnvironmentFactory { NappingToolsEnvironment(ledger: ledger) } }

    func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<EmptyObservation> {
        state = BasicState(episodeID: episodeID ?? "generated")
        return StepResult(EmptyObservation(), reward: 0.0)
    }

    func step(_ action: MCPAction) async throws -> StepResult<MCPObservation> {
        state.stepCount += 1
        return StepResult(await toolbox.step(action))
    }

    func close() async { ledger.didClose() }
}
