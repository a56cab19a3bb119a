import Testing
@testable import OpenEnvCore
@testable import OpenEnvEnvironments

/// The `/ws` step fast path (``FastStep``) against its oracle, the tree path it replaces:
/// `AnyEnvironment.step` on the parsed action, then the tree writer on the payload.
@Suite struct StepFastPathTests {
    enum Mode: String, Codable, Sendable, CaseIterable, Equatable { case walk, run = "RUN" }

    struct Inner: Codable, Sendable, Equatable {
        var x: Int
        var tags: [String]
    }

    struct ProbeAction: Codable, Sendable, Equatable {
        var seed: Int
        var label: String
        var weight: Double
        var flag: Bool
        var note: String?
        var mode: Mode
        var inner: Inner?
        var counts: [String: Int]?
    }

    struct ProbeObservation: Codable, Sendable, Equatable {
        var count: Int
        var ratio: Double
        var text: String
        var ok: Bool
        var maybe: Int?
        var maybeText: String?
        var list: [Double]
        var ids: [Int]
        var names: [String]
        var nested: Inner
        var dict: [String: String]
        var mode: Mode
        var camelCaseKey: Int
        var raw: JSONValue
    }

    /// ``ProbeEnvironment`` as a ``SynchronousEnvironment``: its fast path has ``FastStep/stepNow``.
    final class SynchronousProbeEnvironment: SynchronousEnvironment {
        typealias Action = ProbeAction
        typealias Observation = ProbeObservation
        typealias State = BasicState
        static let info = EnvironmentInfo(name: "SyncProbe", envName: "sync_probe", description: "synchronous fast path oracle")
        var stateNow: BasicState { BasicState() }
        func resetNow(seed: Int?, episodeID: String?, options: JSONObject) -> StepResult<ProbeObservation> {
            ProbeEnvironment.result(seed: UInt64(seed ?? 0))
        }
        func stepNow(_ action: ProbeAction) -> StepResult<ProbeObservation> {
            ProbeEnvironment.result(seed: UInt64(bitPattern: Int64(action.seed)))
        }
    }

    /// An observation type the fast encoder declines (it carries its own `metadata`).
    struct ObservationWithMetadata: Codable, Sendable {
        var value: Int
        var metadata: [String: Int]
    }

    /// Answers every action with an observation drawn from the action's seed.
    actor ProbeEnvironment: Environment {
        static let info = EnvironmentInfo(name: "Probe", envName: "probe", description: "fast path oracle")
        var state = BasicState()
        func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<ProbeObservation> {
            Self.result(seed: UInt64(seed ?? 0))
        }
        func step(_ action: ProbeAction) async throws -> StepResult<ProbeObservation> { Self.result(seed: UInt64(bitPattern: Int64(action.seed))) }

        static func result(seed: UInt64) -> StepResult<ProbeObservation> {
            var random = SplitMix64(seed: seed)
            let observation = ProbeObservation(
                count: Int(bitPattern: UInt(random.next())) >> Int(random.next(below: 64)), ratio: randomDouble(&random),
                text: randomString(&random), ok: random.next(below: 2) == 0,
                maybe: random.next(below: 2) == 0 ? nil : Int(random.next(below: 1000)) - 500,
                maybeText: random.next(below: 2) == 0 ? nil : randomString(&random),
                list: (0..<random.next(below: 4)).map { _ in randomDouble(&random) },
                ids: (0..<random.next(below: 4)).map { _ in Int(bitPattern: UInt(random.next())) >> Int(random.next(below: 64)) },
                names: (0..<random.next(below: 3)).map { _ in randomString(&random) },
                nested: Inner(x: Int(random.next(below: 100)), tags: (0..<random.next(below: 3)).map { _ in randomString(&random) }),
                dict: Dictionary(uniqueKeysWithValues: (0..<random.next(below: 4)).map { n in ("k\(n)\(randomString(&random))", randomString(&random)) }),
                mode: random.next(below: 2) == 0 ? .walk : .run, camelCaseKey: Int(random.next(below: 10)),
                raw: randomJSON(&random, depth: 0))
            let reward: Reward? =
                switch random.next(below: 4) {
                case 0: nil
                case 1: .int(Int(random.next(below: 7)) - 3)
                case 2: .double(randomDouble(&random))
                default: .bool(random.next(below: 2) == 0)
                }
            var metadata: JSONObject = [:]
            for n in 0..<random.next(below: 3) { metadata["m\(n)"] = randomJSON(&random, depth: 1) }
            return StepResult(observation, reward: reward, done: random.next(below: 3) == 0, metadata: metadata)
        }
    }

    actor MetadataObservationEnvironment: Environment {
        static let info = EnvironmentInfo(name: "WithMetadata", envName: "with_metadata", description: "declined by the fast encoder")
        var state = BasicState()
        func reset(seed: Int?, episodeID: String?, options: JSONObject) async throws -> StepResult<ObservationWithMetadata> {
            StepResult(ObservationWithMetadata(value: 0, metadata: [:]))
        }
        func step(_ action: ProbeAction) async throws -> StepResult<ObservationWithMetadata> {
            StepResult(ObservationWithMetadata(value: action.seed, metadata: ["a": 1]), reward: 0.5, metadata: ["b": 2])
        }
    }

    static func randomDouble(_ random: inout SplitMix64) -> Double {
        switch random.next(below: 6) {
        case 0: return Double(Int(random.next(below: 2001)) - 1000)
        case 1: return Double(Int(random.next(below: 2001)) - 1000) / 8
        case 2: return [1e-7, 1e16, -2.5e-300, 1e300, 0.1, 123456789.125, -0.0, 5e-324][Int(random.next(below: 8))]
        default:
            let d = Double(bitPattern: random.next())
            return d.isFinite ? d : 0.25
        }
    }

    static func randomString(_ random: inout SplitMix64) -> String {
        let pieces = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{01}", "\u{1f}", "/", "é", "😀", "\u{7f}", "\u{2028}", "snake_case"]
        return (0..<random.next(below: 6)).map { _ in pieces[Int(random.next(below: UInt64(pieces.count)))] }.joined()
    }

    static func randomJSON(_ random: inout SplitMix64, depth: Int) -> JSONValue {
        switch random.next(below: depth < 2 ? 8 : 6) {
        case 0: return .null
        case 1: return .bool(random.next(below: 2) == 0)
        case 2: return .int(Int(bitPattern: UInt(random.next())) >> Int(random.next(below: 64)))
        case 3: return .double(randomDouble(&random))
        case 4: return .double([.nan, .infinity][Int(random.next(below: 2))])
        case 5: return .string(randomString(&random))
        case 6: return .array((0..<random.next(below: 3)).map { _ in randomJSON(&random, depth: depth + 1) })
        default:
            var object = JSONObject()
            for n in 0..<random.next(below: 3) { object["\(randomString(&random))\(n)"] = randomJSON(&random, depth: depth + 1) }
            return .object(object)
        }
    }

    /// The oracle: the tree path's frame for the parsed `data` object.
    static func treeFrame(_ env: AnyEnvironment, data: JSONValue) async throws -> [UInt8] {
        JSONWriter(style: .compact).bytes(["type": "observation", "data": try await env.step(data).webSocketPayload])
    }

    static func fastFrame(_ env: AnyEnvironment, dataText: [UInt8]) async throws -> [UInt8]? {
        guard let fast = env.fastStep, let action = dataText.withUnsafeBufferPointer({ fast.decode($0) }) else { return nil }
        return try await fast.frame(action)
    }

    /// A random well-formed action, written compactly or Python-style (spaces, `\u` escapes).
    static func actionText(_ random: inout SplitMix64, seed: Int) -> [UInt8] {
        var object: JSONObject = [
            "seed": .int(seed), "label": .string(random.next(below: 3) == 0 ? randomString(&random) : "plain"),
            "weight": random.next(below: 2) == 0 ? .int(Int(random.next(below: 9))) : .double(randomDouble(&random)),
            "flag": .bool(random.next(below: 2) == 0), "mode": .string(random.next(below: 2) == 0 ? "walk" : "RUN"),
        ]
        if random.next(below: 2) == 0 { object["note"] = random.next(below: 2) == 0 ? .null : "n" }
        if random.next(below: 2) == 0 { object["inner"] = ["x": .int(Int(random.next(below: 9))), "tags": ["t", "u"]] }
        if random.next(below: 2) == 0 { object["counts"] = ["a": 1, "b": .int(Int(random.next(below: 9)))] }
        if random.next(below: 3) == 0 { object["metadata"] = ["traceparent": "00-abc", "k": [1, 2]] }
        return JSONWriter(style: random.next(below: 4) == 0 ? .python : .compact).bytes(.object(object))
    }

    @Test func fastStepsWriteTheTreePathsBytes() async throws {
        let env = try await EnvironmentFactory { ProbeEnvironment() }.make()
        let synchronous = try await EnvironmentFactory { SynchronousProbeEnvironment() }.make()
        #expect(env.fastStep?.stepNow == nil, "an actor's steps suspend: no synchronous path")
        var random = SplitMix64(seed: 21)
        var fastCount = 0
        for n in 0..<2000 {
            let text = Self.actionText(&random, seed: Int(bitPattern: UInt(random.next())) >> (n % 64))
            let data = try JSONParser.parse(text)
            let expected = try await Self.treeFrame(env, data: data)
            // The synchronous path declines exactly what the asynchronous one declines.
            let now = try text.withUnsafeBufferPointer { try synchronous.fastStep?.frameNow($0) }
            guard let actual = try await Self.fastFrame(env, dataText: text) else {
                #expect(now == nil, "\(String(decoding: text, as: UTF8.self))")
                continue
            }
            fastCount += 1
            #expect(actual == expected, "\(String(decoding: text, as: UTF8.self))\n\(String(decoding: actual, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self))")
            #expect(now == expected, "\(String(decoding: text, as: UTF8.self))")
            #expect(try await Self.treeFrame(synchronous, data: data) == expected)
        }
        // Compact ASCII actions (most of them) must take the fast path, or this tests nothing.
        #expect(fastCount > 1000)
    }

    @Test func observationFramesMatchTheTreeWriterWhetherOrNotTheEncoderDeclines() async throws {
        for seed in 0..<3000 as Range<UInt64> {
            let result = ProbeEnvironment.result(seed: seed)
            let direct = try #require(ObservationFrame.bytes(result))
            let env = try await EnvironmentFactory { ProbeEnvironment() }.make()
            let tree = try await Self.treeFrame(env, data: ["seed": .int(Int(bitPattern: UInt(seed))), "label": "", "weight": 0, "flag": true, "mode": "walk"])
            #expect(direct == tree, "\(String(decoding: direct, as: UTF8.self))\n\(String(decoding: tree, as: UTF8.self))")
        }
        let declining = try await EnvironmentFactory { MetadataObservationEnvironment() }.make()
        #expect(ObservationFrame.bytes(StepResult(ObservationWithMetadata(value: 1, metadata: [:]))) == nil)
        let text = Array(#"{"seed":7,"label":"","weight":0,"flag":true,"mode":"walk"}"#.utf8)
        let fast = try await Self.fastFrame(declining, dataText: text)
        #expect(fast == Array(#"{"type":"observation","data":{"observation":{"metadata":{"b":2},"value":7},"reward":0.5,"done":false,"metadata":{"b":2}}}"#.utf8))
        #expect(fast == (try await Self.treeFrame(declining, data: try JSONParser.parse(text))))
    }

    @Test func theFastDecoderNeverAcceptsWhatTheTreeDecoderRejectsOrReadsDifferently() throws {
        var random = SplitMix64(seed: 7)
        let mutations: [(inout String) -> Void] = [
            { _ in },
            { $0.insert(contentsOf: #""bogus":1,"#, at: $0.index(after: $0.startIndex)) },
            { $0 = $0.replacingOccurrences(of: #""flag":"#, with: #""flagged":"#) },
            { $0 = $0.replacingOccurrences(of: #""label":"plain""#, with: #""label":5"#) },
            { $0 = $0.replacingOccurrences(of: #""seed":"#, with: #""seed":"1"#) },
            { $0 = $0.replacingOccurrences(of: #""mode":"walk""#, with: #""mode":"WALK""#) },
            { $0.insert(contentsOf: #""metadata":"x","#, at: $0.index(after: $0.startIndex)) },
            { $0.insert(contentsOf: #""metadata":null,"#, at: $0.index(after: $0.startIndex)) },
            { $0.insert(contentsOf: #""seed":3,"#, at: $0.index(after: $0.startIndex)) },
            { $0 = $0.replacingOccurrences(of: #""x":"#, with: #""x":1.0,"y":"#) },
            { $0 = $0.replacingOccurrences(of: #""x":"#, with: #""x":"2","z":"#) },
            { $0 = $0.replacingOccurrences(of: "true", with: "1") },
            { $0 = $0.replacingOccurrences(of: #""counts":{"#, with: #""counts":{"c":"4","#) },
            { $0 = "[" + $0 + "]" },
            { $0 = String($0.dropLast()) },
        ]
        var accepted = 0
        for n in 0..<3000 {
            var text = String(decoding: Self.actionText(&random, seed: n), as: UTF8.self)
            mutations[n % mutations.count](&text)
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { JSONBytesDecoder.decodeAction(ProbeAction.self, from: $0) }
            guard let fast else { continue }
            accepted += 1
            var data = try JSONParser.parse(text)
            if case .object(var object) = data, case .object? = object["metadata"] {
                object["metadata"] = nil
                data = .object(object)
            }
            #expect(try JSONValueDecoder().decode(ProbeAction.self, from: data) == fast, "\(text)")
        }
        #expect(accepted > 300)
    }

    @Test func gridStepsAreTheSameBytesOnBothPaths() async throws {
        let fastEnv = try await GridEnvironment.entry.factory.make()
        let treeEnv = try await GridEnvironment.entry.factory.make()
        var random = SplitMix64(seed: 5)
        for episode in 0..<50 {
            _ = try await fastEnv.reset(["seed": .int(episode), "episode_id": "e"])
            _ = try await treeEnv.reset(["seed": .int(episode), "episode_id": "e"])
            for _ in 0..<30 {
                let move = ["UP", "DOWN", "LEFT", "RIGHT"][Int(random.next(below: 4))]
                let text = Array(#"{"action":"\#(move)"}"#.utf8)
                let fast = try #require(try await Self.fastFrame(fastEnv, dataText: text))
                #expect(fast == (try await Self.treeFrame(treeEnv, data: try JSONParser.parse(text))))
            }
        }
    }

    @Test(arguments: [
        (#"{"type":"step","data":{"action":"UP"}}"#, #"{"action":"UP"}"#),
        (#" { "data" : {"action": "UP", "metadata": {}} , "type" : "step" } "#, #"{"action": "UP", "metadata": {}}"#),
        (#"{"type":"step","data":{}}"#, "{}"),
        (#"{"type":"reset","data":{}}"#, nil),
        (#"{"type":"step","data":{"action":"UP"},"extra":1}"#, nil),
        (#"{"type":"step","type":"step","data":{}}"#, nil),
        (#"{"type":"step","data":[1]}"#, nil),
        (#"{"type":"step"}"#, nil),
        (#"{"type":"st\u0065p","data":{}}"#, nil),
        (#"{"type":"step","data":{"a":"\n"}}"#, nil),
        (#"{"type":"step","data":{"a":"é"}}"#, nil),
        (#"{"type":"step","data":{"a":NaN}}"#, nil),
        (#"{"type":"step","data":{"a":01}}"#, nil),
        (#"{"type":"step","data":{"a":1.}}"#, nil),
        (#"{"type":"step","data":{"a":1}} x"#, nil),
        (#"{"type":"step","data":{"a":1,}}"#, nil),
    ] as [(String, String?)])
    func onlyPlainStepFramesTakeTheFastPath(frame: String, data: String?) {
        let bytes = Array(frame.utf8)
        let range = bytes.withUnsafeBufferPointer { StepEnvelope.dataRange(in: $0) }
        #expect(range.map { String(decoding: bytes[$0], as: UTF8.self) } == data)
    }

    /// Observations that write their own members (``JSONMembersWritable``: grid and the
    /// OpenSpiel games) against their `Codable` conformance, which the tree path encodes
    /// through: two instances, the same seeds and the same legal actions, one stepped on the
    /// fast path and one on the tree path, must give the same bytes at every reset and step.
    @Test(arguments: ["grid"] + OpenSpielGameSpec.names)
    func selfWrittenObservationsMatchTheirCodableConformance(game: String) async throws {
        let factory = game == "grid"
            ? EnvironmentFactory { GridEnvironment() }
            : EnvironmentFactory { try OpenSpielEnvironment(configuration: .init(gameName: game)) }
        #expect(GridEnvironment.Observation.self is any JSONMembersWritable.Type)
        #expect(OpenSpielEnvironment.Observation.self is any JSONMembersWritable.Type)
        let fast = try await factory.make(), tree = try await factory.make()
        // A third instance stepped synchronously (grid and the games are SynchronousEnvironments).
        let now = try await factory.make()
        #expect(now.fastStep?.stepNow != nil)
        let fastReset = try #require(fast.fastStep?.reset)
        let writer = JSONWriter(style: .compact)
        var random = SplitMix64(seed: 11)
        var steps = 0
        for _ in 0..<30 {
            let seed = Int(random.next(below: 10_000))
            var resetBytes: [UInt8] = []
            _ = try await fastReset(seed, &resetBytes)
            var observation = try await tree.reset(["seed": .int(seed)]).observation
            _ = try await now.reset(["seed": .int(seed)])
            #expect(String(decoding: resetBytes, as: UTF8.self) == String(decoding: writer.bytes(.object(observation)), as: UTF8.self), "\(game) reset \(seed)")
            for _ in 0..<60 {
                let action: JSONValue
                if game == "grid" {
                    action = ["action": .string(["UP", "DOWN", "LEFT", "RIGHT"][Int(random.next(below: 4))])]
                } else {
                    guard case .array(let legal)? = observation["legal_actions"], !legal.isEmpty else { break }
                    action = ["action_id": legal[Int(random.next(below: UInt64(legal.count)))]]
                }
                let fastFrame = try #require(try await Self.fastFrame(fast, dataText: writer.bytes(action)))
                let treeFrame = try await Self.treeFrame(tree, data: action)
                #expect(String(decoding: fastFrame, as: UTF8.self) == String(decoding: treeFrame, as: UTF8.self), "\(game)")
                if let synchronous = now.fastStep, synchronous.stepNow != nil {
                    let nowFrame = try writer.bytes(action).withUnsafeBufferPointer { try synchronous.frameNow($0) }
                    #expect(nowFrame.map { String(decoding: $0, as: UTF8.self) } == String(decoding: treeFrame, as: UTF8.self), "\(game)")
                }
                steps += 1
                guard case .object(let frame) = try JSONParser.parse(treeFrame), case .object(let data)? = frame["data"],
                    case .object(let next)? = data["observation"]
                else { Issue.record("not an observation frame"); return }
                observation = next
                if data["done"] == .bool(true) { break }
            }
        }
        #expect(steps > 30)
    }

    /// Actions that read their own common forms (``JSONBytesReadable``) against their
    /// `Decodable` conformance: whatever the reader accepts, ``JSONValueDecoder`` decodes to
    /// the same action; the forms clients send (compact, or with Python's spaces) are accepted.
    @Test func selfReadActionsAgreeWithTheirDecodableConformance() throws {
        func read<A: JSONBytesReadable>(_ type: A.Type, _ text: String) -> A? {
            Array(text.utf8).withUnsafeBufferPointer { A.read($0) }
        }
        func decoded<A: Decodable>(_ type: A.Type, _ text: String) -> A? {
            guard let value = try? JSONParser.parse(Array(text.utf8)) else { return nil }
            return try? JSONValueDecoder().decode(A.self, from: value)
        }
        let moves = GridEnvironment.Move.allCases.map(\.rawValue)
        let gridAccepted = moves.flatMap { [#"{"action":"\#($0)"}"#, #"{"action": "\#($0)"}"#, " {\n\t\"action\" :\"\($0)\" } "] }
        let gridOther = [
            #"{"action":"up"}"#, #"{"action":"U\u0050"}"#, #"{"action":"UP","metadata":{}}"#, #"{"metadata":{},"action":"UP"}"#,
            #"{"action":"UP",}"#, #"{"action":"UP"}x"#, #"{"action":"UP","action":"DOWN"}"#, #"{"action":1}"#, #"{"action":null}"#,
            #"{"action":"UP"#, #"{"action""#, #"{"actions":"UP"}"#, #"{"actio":"UP"}"#, "", "{}", "[]", #""UP""#, #"{"action":"UP\"}"#,
        ]
        for text in gridAccepted {
            let mine = try #require(read(GridEnvironment.Action.self, text), "\(text)")
            #expect(mine.action == decoded(GridEnvironment.Action.self, text)?.action, "\(text)")
        }
        for text in gridOther {
            if let mine = read(GridEnvironment.Action.self, text) {
                #expect(mine.action == decoded(GridEnvironment.Action.self, text)?.action, "\(text)")
            }
        }
        let ids = [0, 1, 7, 42, -3, 123_456_789_012_345_678]
        let spielAccepted = ids.flatMap { [#"{"action_id":\#($0)}"#, #"{"action_id": \#($0)}"#] }
        let spielOther = [
            #"{"action_id":1.0}"#, #"{"action_id":1e0}"#, #"{"action_id":01}"#, #"{"action_id":-0}"#, #"{"action_id":"1"}"#,
            #"{"action_id":true}"#, #"{"action_id":null}"#, #"{"action_id":1234567890123456789012}"#, #"{"action_id":-}"#,
            #"{"action_id":1,"game_name":"catch"}"#, #"{"game_name":"catch","action_id":1}"#, #"{"action_id":1,"metadata":{}}"#,
            #"{"action_id":1 2}"#, #"{"action_id":[1]}"#, #"{"action_id":1}}"#,
        ]
        for text in spielAccepted {
            let mine = try #require(read(OpenSpielEnvironment.Action.self, text), "\(text)")
            let oracle = try #require(decoded(OpenSpielEnvironment.Action.self, text), "\(text)")
            #expect(mine.actionId == oracle.actionId && oracle.gameName == nil && oracle.gameParams == nil, "\(text)")
        }
        for text in spielOther {
            if let mine = read(OpenSpielEnvironment.Action.self, text) {
                #expect(mine.actionId == decoded(OpenSpielEnvironment.Action.self, text)?.actionId, "\(text)")
            }
        }
    }
}
