import Foundation
import OpenEnvCore

/// Web tasks in a real Chromium, in the wire shape of the reference `browsergym_env`.
///
/// Each session owns a ``BrowserPage`` (its own browser context in the server's one
/// Chromium). `reset(task_name=, seed=)` opens a MiniWoB++ task from the task server,
/// seeds it (`Math.seedrandom`), starts its episode and returns its goal (the task's
/// utterance). `step({"action_str": ...})` performs BrowserGym actions with real input
/// events, then reads the reward from the page's own `core.js` state: reward 1.0 when the
/// episode ended with a positive raw reward (BrowserGym's rule), else 0.0; `done` when the
/// page says so (the task's own time limit included). A malformed or impossible action is
/// an observation with `last_action_error` and `error`, not an error reply. A crashed or
/// hung page, or a browser that went away, fails the call with a message saying so; the
/// next `reset` opens a new page (in a new browser if needed).
///
/// The same actions are tools (`click`, `fill`, `send_keys`, `scroll`, `noop`, as the
/// reference harness names them) over `/mcp`; a tool call acts on the page but is not a step.
public actor BrowserEnvironment: Environment, ToolProviding {
    public static let info = EnvironmentInfo(
        name: "BrowserGymEnvironment", envName: "browsergym_env",
        description: "MiniWoB++ web tasks in headless Chromium (one browser context per session), BrowserGym actions and observations.",
        defaultMaxSessions: 16, rewardRange: 0...1)

    public static let defaultTask = "click-test"

    public private(set) var state = State(episodeID: nil, stepCount: 0, benchmark: "miniwob", taskName: "", taskId: nil, goal: "",
                                          currentUrl: "", maxSteps: nil, cumReward: 0)
    private let host: BrowserHost
    private var page: BrowserPage?
    private var done = false
    private var messages: [String] = []
    private var screenshots = false

    public init(host: BrowserHost) {
        self.host = host
    }

    public func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<Observation> {
        let task = options["task_name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? (state.taskName.isEmpty ? Self.defaultTask : state.taskName)
        guard host.tasks.names.contains(task) else {
            throw BrowserError.unknownTask("\(task): the miniwob benchmark has \(host.tasks.names.count) tasks, e.g. click-test, click-button, enter-text")
        }
        if let benchmark = options["benchmark"]?.stringValue, !benchmark.isEmpty, benchmark != "miniwob" {
            throw BrowserError.unknownTask("benchmark \(benchmark): only miniwob is served")
        }
        state = State(episodeID: episodeID ?? UUIDString.random(), stepCount: 0, benchmark: "miniwob", taskName: task, taskId: nil,
                      goal: "", currentUrl: "", maxSteps: host.configuration.maxSteps, cumReward: 0)
        done = false
        messages = []
        screenshots = options["screenshot"]?.boolValue ?? host.configuration.screenshots
        // A fresh context per episode: nothing (cookies, storage, history) carries over.
        if let old = page {
            page = nil
            await old.close()
        }
        let page = try await BrowserPage.open(host: host)
        self.page = page
        let seed = seed ?? Int.random(in: 0..<(1 << 31))
        do {
            try await page.navigate(try await host.taskOrigin() + host.tasks.path(of: task))
            _ = try await page.helper("miniwobStart", ["seed": .int(seed)])
            let deadline = ContinuousClock.now + host.configuration.actionTimeout
            while try await page.helper("miniwobReady").boolValue != true {
                guard ContinuousClock.now < deadline else { throw ActionFailure("the task did not become ready") }
                try await Task.sleep(for: .milliseconds(20))
            }
            state.goal = try await page.helper("miniwobUtterance").stringValue ?? ""
        } catch let failure as ActionFailure {
            throw BrowserError.startFailed("cannot start task \(task): \(failure)")
        }
        return StepResult(try await observe(error: nil), reward: 0, done: false, metadata: ["task_name": .string(task), "seed": .int(seed)])
    }

    public func step(_ action: Action) async throws -> StepResult<Observation> {
        state.stepCount += 1
        let (observation, reward, finished, metadata) = try await perform(action.actionStr)
        if let maxSteps = state.maxSteps, state.stepCount >= maxSteps { done = true }
        return StepResult(observation, reward: .double(reward), done: finished || done, metadata: metadata)
    }

    /// Runs an action string, then reads the page's reward state.
    private func perform(_ text: String) async throws -> (Observation, Double, Bool, JSONObject) {
        guard let page else { throw BrowserError.notReset }
        if let reason = await page.lost() {
            let alive = await host.isAlive(page.generation)
            throw alive ? BrowserError.pageLost(reason) : BrowserError.browserLost(reason)
        }
        var failure: String?
        do {
            let actions = try ActionParser.parse(text)
            var executor = ActionExecutor(page: page)
            do {
                for action in actions { try await executor.perform(action) }
            } catch let error as ActionFailure {
                failure = error.description
            } catch let error as CDPError {
                failure = "Error: \(error.description)"
            }
            messages += executor.messages
            _ = try? await page.helper("settle")
        } catch let error as ActionParser.ParseError {
            failure = error.description
        }
        var reward = 0.0
        var metadata: JSONObject = [:]
        if let wob = try? await page.helper("miniwobState"), case .object(let info) = wob {
            metadata["miniwob"] = .object(info)
            if !done, info["done"]?.boolValue == true {
                done = true
                reward = (info["raw_reward"]?.doubleValue ?? 0) > 0 ? 1 : 0
            }
        }
        if !messages.isEmpty { metadata["chat_messages"] = .array(messages.map(JSONValue.string)) }
        state.cumReward += reward
        return (try await observe(error: failure), reward, done, metadata)
    }

    /// The observation of the page as it is now (bids assigned first).
    private func observe(error: String?) async throws -> Observation {
        guard let page else { throw BrowserError.notReset }
        _ = try await page.helper("mark")
        let tree = try await page.call("Accessibility.getFullAXTree")
        let document = try await page.call("DOM.getDocument", ["depth": -1, "pierce": true])
        var bids: [Int: String] = [:]
        func collect(_ node: JSONValue) {
            if let backend = node["backendNodeId"]?.intValue, let attributes = node["attributes"]?.arrayValue {
                var i = 0
                while i + 1 < attributes.count {
                    if attributes[i].stringValue == "bid", let bid = attributes[i + 1].stringValue { bids[backend] = bid }
                    i += 2
                }
            }
            for child in node["children"]?.arrayValue ?? [] { collect(child) }
            if let content = node["contentDocument"] { collect(content) }
        }
        collect(document["root"] ?? .null)
        let axtree = AXTreeText.render(nodes: tree["nodes"]?.arrayValue ?? [], bids: bids)
        let html = try await page.helper("prunedHTML").stringValue ?? ""
        let url = try await page.helper("url").stringValue ?? ""
        state.currentUrl = url
        let screenshot = screenshots ? try await page.screenshot() : nil
        return Observation(text: axtree, url: url, screenshot: screenshot, goal: state.goal, axtreeTxt: axtree, prunedHtml: html,
                           error: error ?? "", lastActionError: error != nil)
    }

    public func close() async {
        if let page { await page.close() }
        page = nil
    }

    // MARK: Tools

    struct BidArguments: Codable, Sendable { var bid: String }
    struct FillArguments: Codable, Sendable { var bid: String; var text: String }
    struct TextArguments: Codable, Sendable { var text: String }
    struct ScrollArguments: Codable, Sendable { var direction: String }
    struct NoArguments: Codable, Sendable {}

    /// What a tool call returns: the observation with its reward and done.
    struct ToolOutcome: Codable, Sendable {
        var observation: Observation
        var reward: Double
        var done: Bool
    }

    public var toolbox: Toolbox {
        var box = Toolbox()
        let quote: @Sendable (String) -> String = { AXTreeText.pythonRepr(.string($0)) }
        // Registration of fixed, valid names cannot fail.
        try! box.register("click", description: "Click an element by BrowserGym bid.") { [self] (a: BidArguments) in
            try await self.tool("click(\(quote(a.bid)))")
        }
        try! box.register("fill", description: "Fill an input field by bid.") { [self] (a: FillArguments) in
            try await self.tool("fill(\(quote(a.bid)), \(quote(a.text)))")
        }
        try! box.register("send_keys", description: "Send keyboard input to the page.") { [self] (a: TextArguments) in
            try await self.tool("send_keys(\(quote(a.text)))")
        }
        try! box.register("scroll", description: "Scroll the page up or down.") { [self] (a: ScrollArguments) in
            try await self.tool("scroll(\(quote(a.direction)))")
        }
        try! box.register("noop", description: "Take no action on the current page.") { [self] (_: NoArguments) in
            try await self.tool("noop(0)")
        }
        return box
    }

    private func tool(_ action: String) async throws -> ToolOutcome {
        let (observation, reward, done, _) = try await perform(action)
        return ToolOutcome(observation: observation, reward: reward, done: done)
    }
}

extension BrowserEnvironment {
    /// `browser`, as `openenv serve browser` serves it: configured from `OPENENV_BROWSER_*`
    /// and `--allow-origin`; the host must pass ``BrowserHost/verify(_:)`` first.
    public static let entry = EnvironmentEntry(
        name: "browser", kind: .typed,
        factory: EnvironmentFactory(BrowserEnvironment.self) { BrowserEnvironment(host: try sharedHost(BrowserConfiguration.fromEnvironment())) },
        preflight: { try BrowserHost.verify(try BrowserConfiguration.fromEnvironment()) },
        configure: { options in
            try options.requireOnly(["--allow-origin"], for: "browser")
            var configuration: BrowserConfiguration
            do {
                configuration = try BrowserConfiguration.fromEnvironment()
                for value in options.values where value.name == "--allow-origin" {
                    configuration.allowedOrigins.append(try BrowserConfiguration.normalizedOrigin(value.value))
                }
            } catch {
                throw EnvironmentOptionsError("\(error)")
            }
            let host = try sharedHost(configuration)
            return EnvironmentFactory(BrowserEnvironment.self) { BrowserEnvironment(host: host) }
        })

    private static let hosts = HostRegistry()

    /// One host per configuration per process.
    static func sharedHost(_ configuration: BrowserConfiguration) throws -> BrowserHost {
        try hosts.host(for: configuration)
    }
}

import Synchronization

final class HostRegistry: Sendable {
    private let hosts = Mutex<[(BrowserConfiguration, BrowserHost)]>([])

    func host(for configuration: BrowserConfiguration) throws -> BrowserHost {
        try hosts.withLock { list in
            if let found = list.first(where: { $0.0 == configuration }) { return found.1 }
            let host = try BrowserHost(configuration: configuration)
            list.append((configuration, host))
            return host
        }
    }
}
