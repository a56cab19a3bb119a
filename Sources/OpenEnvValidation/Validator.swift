import Foundation
import OpenEnvCore

/// How thorough a validation run is, and the limits it works within.
public struct ValidationOptions: Sendable {
    /// Highest level to run (levels are cumulative).
    public var level: ValidationLevel
    /// Bound on each HTTP request and each awaited WebSocket frame (reference default 5 s).
    public var timeout: Duration = .seconds(5)
    /// The server's session limit, for servers without `GET /ready` (the Python reference):
    /// enables the capacity check and the cleanup cycles.
    public var maxSessions: Int?
    /// Random steps spent looking for `done` and measuring the reward floor.
    public var budget = 200
    /// Seed of the default plan's reset and of the random action generator.
    public var seed = 42
    /// Actions in the default runtime plan.
    public var planSteps = 5
    /// Package mode: skip the checks of a running server with this reason (`--skip-build`).
    public var skipRuntime: String?

    /// Headers sent on every request and WebSocket handshake to the server, e.g.
    /// `["Authorization": "Bearer <token>"]` for a server started with `--auth-token-file`.
    public var headers: [String: String] = [:]
    public init(level: ValidationLevel) { self.level = level }
}

/// `openenv validate`: one engine for a running server (`--url`) and for an environment
/// package directory (its manifest and layout, and — given a URL where it is served — the
/// same runtime, protocol and semantic checks read against its `validation:` block).
public enum Validator {
    /// Validates the server at `url`. `declaration` (a package's `validation:` block) sets
    /// the reward range, floor margin, variance tolerance and episode timeout; `plan`
    /// replaces the default runtime plan. Throws only for a malformed URL.
    public static func validate(url: String, options: ValidationOptions, declaration: ValidationDeclaration? = nil,
                                plan: Result<RuntimePlan, PlanError>? = nil) async throws -> RunningEnvironmentReport {
        let server = try ServerUnderTest(url: url, timeout: options.timeout, headers: options.headers)
        var report = RunningEnvironmentReport(target: server.baseURL, level: options.level)
        await EndpointChecks.run(server, into: &report)
        guard options.level >= .runtime else { return report }

        let rewardRange = declaration?.reward.range ?? 0...1
        let schema: JSONObject?
        var actions: ActionSpace?
        var unavailable: String?
        switch await server.schema() {
        case .success(let object):
            schema = object
            do { actions = try await ActionSpace.discover(server, schema: object) } catch { unavailable = error.description }
        case .failure(let error):
            schema = nil
            unavailable = error.description
        }
        let chosenPlan: Result<RuntimePlan, PlanError>
        if let plan {
            chosenPlan = plan
        } else if let actions {
            var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: options.seed))
            chosenPlan = .success(RuntimePlan(episodeID: "openenv-validate-episode", seed: options.seed,
                                              actions: (0..<options.planSteps).map { _ in actions.random(using: &rng) }))
        } else {
            chosenPlan = .failure(PlanError(description: "no runtime plan: the default plan is built from /schema, which failed: \(unavailable ?? "unknown")"))
        }
        let episodeTimeout = Duration.milliseconds(Int64((declaration?.resources.episodeTimeout ?? 60) * 1000))
        switch (chosenPlan, schema) {
        case (.success(let plan), let schema?):
            await EpisodeChecks.run(server, plan: plan, schema: schema, rewardRange: rewardRange, episodeTimeout: episodeTimeout, into: &report)
        case (.failure(let error), _):
            failRuntime(&report, reason: error.description)
        case (_, nil):
            failRuntime(&report, reason: "schema failed (\(unavailable ?? "unknown"))")
        }

        guard options.level >= .protocol else { return report }
        await ProtocolChecks.run(server, actions: actions, maxSessions: options.maxSessions, into: &report)

        guard options.level >= .semantic else { return report }
        let settings = SemanticChecks.Settings(
            rewardRange: rewardRange, floorMargin: declaration?.reward.floorMargin ?? 0.1, varianceTolerance: declaration?.reward.varianceTolerance,
            budget: options.budget, seed: options.seed, maxSessions: options.maxSessions)
        await SemanticChecks.run(server, actions: actions, settings: settings, into: &report)
        return report
    }

    private static func failRuntime(_ report: inout RunningEnvironmentReport, reason: String) {
        report.append(Criterion("runtime.startup", "The server plays one planned episode over /ws", passed: false, details: reason))
        for id in ["runtime.observation_schema", "runtime.state_contract", "runtime.reward_well_formed"] {
            report.append(.skipped(id, id, reason: "unmet dependency: runtime.startup"))
        }
    }

    /// Validates the package in `directory`: `static.manifest` and `static.layout`; above
    /// the static level, the server at `url` (where the package is served) is checked with
    /// the manifest's declarations, or `runtime.startup` is skipped when there is none.
    /// Throws ``PackageError`` when `directory` is not an `openenv.yaml` package (exit 2).
    public static func validate(package directory: String, url: String?, options: ValidationOptions) async throws -> PackageReport {
        let manifest = try Manifest.load(directory: directory)
        let digest = (try? sourceDigest(directory)) ?? ""
        let clock = ContinuousClock()
        var report = PackageReport(target: directory, sourceDigest: digest, manifest: manifest.validation?.normalized,
                                   schemaVersion: options.level >= .runtime || manifest.validation?.execution != nil ? "2" : "1", levelsRun: [1])

        // static.manifest
        let started = clock.now
        var result = PackageReport.CheckResult(checkID: "static.manifest", status: .pass)
        if !manifest.errors.isEmpty {
            result.status = .fail
            result.measured = ["schema_errors": .int(manifest.errors.count)]
            result.evidence = manifest.errors
            result.remediation = manifest.remediation
        } else if let declaration = manifest.validation {
            let reward = declaration.reward
            var problems: [String] = []
            if reward.oracleTolerance > 0.1 { problems.append("declared oracle_tolerance \(reward.oracleTolerance) exceeds the policy maximum 0.1") }
            if reward.floorMargin < 0.1 { problems.append("declared floor_margin \(reward.floorMargin) is below the policy minimum 0.1") }
            if let variance = reward.varianceTolerance, variance > 0.2 { problems.append("declared variance_tolerance \(variance) exceeds the policy maximum 0.2") }
            if declaration.resources.episodeTimeout > 3600 { problems.append("declared episode_timeout_s \(declaration.resources.episodeTimeout) exceeds the policy maximum 3600.0") }
            result.status = problems.isEmpty ? .pass : .fail
            result.measured = [
                "oracle_tolerance": .double(reward.oracleTolerance), "floor_margin": .double(reward.floorMargin),
                "variance_tolerance": reward.varianceTolerance.map(JSONValue.double) ?? .null, "episode_timeout_s": .double(declaration.resources.episodeTimeout),
                "bounds": ["max_oracle_tolerance": 0.1, "min_floor_margin": 0.1, "max_variance_tolerance": 0.2, "max_episode_timeout_s": 3600.0],
            ]
            result.evidence = problems.isEmpty ? ["manifest is schema-valid and within policy bounds"] : problems
            result.remediation = problems.isEmpty ? nil : "declare tolerances within the severity policy's bounds"
        }
        result.duration = seconds(clock.now - started)
        report.results.append(result)

        // static.layout
        let layoutStarted = clock.now
        let layout = layoutProblems(directory, manifest: manifest)
        report.results.append(PackageReport.CheckResult(
            checkID: "static.layout", status: layout.isEmpty ? .pass : .fail, evidence: layout.isEmpty ? ["package layout is complete"] : layout,
            remediation: layout.isEmpty ? nil : "add the missing files (`openenv init` shows the expected layout)", duration: seconds(clock.now - layoutStarted)))

        guard options.level >= .runtime else { return report }
        guard let declaration = manifest.validation else {
            report.results.append(PackageReport.CheckResult(checkID: "runtime.startup", status: .skip, evidence: ["unmet dependency: valid manifest"]))
            return report
        }
        if let reason = options.skipRuntime {
            report.results.append(PackageReport.CheckResult(checkID: "runtime.startup", status: .skip, evidence: [reason]))
            return report
        }
        guard let url else {
            let executable = manifest.document["app"]?.stringValue?.split(separator: " ").first.map(String.init) ?? "<executable>"
            report.results.append(PackageReport.CheckResult(checkID: "runtime.startup", status: .skip,
                evidence: ["no running server: serve the package (`swift run \(executable) serve --port \(manifest.port)`) and pass --url http://127.0.0.1:\(manifest.port); container images are built by `openenv build`"]))
            return report
        }
        var plan: Result<RuntimePlan, PlanError>?
        if let execution = declaration.execution {
            let path = (directory as NSString).appendingPathComponent(execution.probePath)
            do { plan = .success(try RuntimePlan.load(path: path)) } catch { plan = .failure(error) }
        }
        let running = try await validate(url: url, options: options, declaration: declaration, plan: plan)
        report.levelsRun = [1, 2] + (options.level >= .semantic ? [3] : [])
        for criterion in running.criteria {
            let id = criterion.id.contains(".") ? criterion.id : "runtime." + criterion.id
            var measured: JSONObject = [:]
            if let expected = criterion.expected { measured["expected"] = expected }
            if let actual = criterion.actual { measured["actual"] = actual }
            let status: PackageReport.Status = switch criterion.outcome { case .pass: .pass; case .fail: .fail; case .skip: .skip }
            report.results.append(PackageReport.CheckResult(
                checkID: id, status: status, measured: measured,
                evidence: criterion.details.map { [$0] } ?? [criterion.description],
                remediation: status == .fail ? "Fix the reported contract violations: \(criterion.description.prefix(1).lowercased() + criterion.description.dropFirst())." : nil,
                duration: criterion.duration))
        }
        return report
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// What the package lacks to be built, served and pushed, one precise line each.
    static func layoutProblems(_ directory: String, manifest: Manifest) -> [String] {
        let fm = FileManager.default
        func exists(_ path: String) -> Bool { fm.fileExists(atPath: (directory as NSString).appendingPathComponent(path)) }
        var problems: [String] = []
        let swift = exists("Package.swift")
        let python = exists("pyproject.toml") || exists("server/app.py")
        if !swift && !python {
            problems.append("no Package.swift (a Swift environment) and no pyproject.toml or server/app.py (a Python environment)")
        }
        let dockerfile = manifest.validation?.execution?.dockerfile
        if let dockerfile {
            if !exists(dockerfile) { problems.append("validation.execution.dockerfile names \(dockerfile), which does not exist") }
        } else if !exists("Dockerfile") && !exists("server/Dockerfile") {
            problems.append("no Dockerfile (root or server/Dockerfile): `openenv build` writes one")
        }
        if exists("README.md") {
            let text = (try? String(contentsOfFile: (directory as NSString).appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
            if let front = SpaceReadme.frontMatter(text) {
                if front["sdk"] != "docker" { problems.append("README.md front matter: sdk must be docker for an OpenEnv Space, got \(front["sdk"] ?? "nothing")") }
                if let port = front["app_port"], port != String(manifest.port) {
                    problems.append("README.md front matter: app_port \(port) differs from the manifest's port \(manifest.port)")
                }
            } else {
                problems.append("README.md has no front matter (--- title, sdk: docker, app_port, tags: [openenv] ---) for the Hugging Face Space")
            }
        } else {
            problems.append("no README.md (the Hugging Face Space card, with front matter)")
        }
        if !manifest.name.isEmpty, manifest.name.range(of: #"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$"#, options: .regularExpression) == nil {
            problems.append("name '\(manifest.name)' is not usable as a Space or image name (letters, digits, '_', '.', '-')")
        }
        if let execution = manifest.validation?.execution {
            let path = (directory as NSString).appendingPathComponent(execution.probePath)
            do { _ = try RuntimePlan.load(path: path) } catch { problems.append("validation.execution.probe_path \(execution.probePath): \(error.description)") }
        }
        return problems
    }

    /// SHA-256 over the package's regular files (relative path, NUL, contents, NUL, in path
    /// order), as the reference computes `source_digest`; version control, virtual
    /// environments, Swift build folders, `openenv build`'s context and `outputs/` are left out.
    static func sourceDigest(_ directory: String) throws -> String {
        let fm = FileManager.default
        let excluded: Set<String> = [".git", "__pycache__", ".venv", ".worktrees", "outputs", ".build", ".swiftpm", ".openenv-build"]
        var files: [String] = []
        guard let enumerator = fm.enumerator(atPath: directory) else { throw PackageError(description: "cannot list \(directory)") }
        while let relative = enumerator.nextObject() as? String {
            let parts = relative.split(separator: "/").map(String.init)
            if parts.contains(where: { excluded.contains($0) || $0.hasPrefix(".build-") }) {
                if let type = enumerator.fileAttributes?[.type] as? FileAttributeType, type == .typeDirectory { enumerator.skipDescendants() }
                continue
            }
            if let type = enumerator.fileAttributes?[.type] as? FileAttributeType, type == .typeRegular { files.append(relative) }
        }
        var hasher = SHA256()
        for relative in files.sorted() {
            hasher.update(relative.utf8)
            hasher.update([0])
            hasher.update(fm.contents(atPath: (directory as NSString).appendingPathComponent(relative)) ?? Data())
            hasher.update([0])
        }
        return hasher.hexDigest()
    }
}

/// The YAML front matter of a Hugging Face Space README (`---` … `---` at the top).
enum SpaceReadme {
    /// The top-level `key: value` pairs of the front matter, or `nil` when there is none.
    static func frontMatter(_ text: String) -> [String: String]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.first == "---", let end = lines.dropFirst().firstIndex(of: "---") else { return nil }
        var values: [String: String] = [:]
        for line in lines[1..<end] {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("-"), !line.hasPrefix("#") else { continue }
            values[String(line[..<colon]).trimmingCharacters(in: .whitespaces)] =
                String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return values
    }
}
