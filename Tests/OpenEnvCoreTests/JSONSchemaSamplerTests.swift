import OpenEnvEnvironments
import Testing

@testable import OpenEnvCore

/// The one schema sampler behind the random policy, `openenv validate` and `openenv bench`.
/// Expected values are read off the schemas by hand; random values are checked against
/// the schema's own constraints over many seeds.
@Suite struct JSONSchemaSamplerTests {
    static let action: JSONValue = [
        "type": "object",
        "$defs": ["Colour": ["enum": ["red", "green"]]],
        "properties": [
            "colour": ["$ref": "#/$defs/Colour"],
            "count": ["type": "integer", "minimum": 3, "maximum": 5],
            "above": ["type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 13],
            "ratio": ["type": "number", "minimum": 0.5, "maximum": 0.75],
            "name": ["type": "string", "minLength": 7, "maxLength": 9],
            "code": ["type": "string", "maxLength": 2],
            "flag": ["type": "boolean"],
            "maybe": ["anyOf": [["type": "null"], ["type": "integer", "minimum": 7, "maximum": 7]]],
            "either": ["oneOf": [["const": "a"], ["const": "b"]]],
            "both": ["allOf": [["type": "string", "maxLength": 3]]],
            "typed": ["type": ["null", "boolean"]],
            "list": ["type": "array", "items": ["type": "integer", "minimum": 1, "maximum": 1], "minItems": 1, "maxItems": 2],
            "note": ["type": "string"],
        ],
        "required": ["colour", "count", "above", "ratio", "name", "code", "flag", "maybe", "either", "both", "typed", "list", "extra"],
    ]

    @Test func theSimplestValueTakesTheFirstChoiceAndTheLowestBound() {
        #expect(JSONSchemaSampler(Self.action).simplest() == [
            "colour": "red", "count": 3, "above": 11, "ratio": 0.5, "name": "helloxx", "code": "he", "flag": false,
            "maybe": 7, "either": "a", "both": "hel", "typed": false, "list": [1], "extra": [:],
        ])
        #expect(JSONSchemaSampler(JSONSchema.of(GridEnvironment.Action.self)).simplest() == ["action": "UP"])
        #expect(JSONSchemaSampler(["type": "string"]).simplest() == "hello")
        #expect(JSONSchemaSampler(["type": "array", "items": ["type": "string"]]).simplest() == [])
    }

    @Test func randomValuesKeepEveryConstraint() {
        var optionalNoteSeen = false, optionalNoteMissed = false
        var colours: Set<JSONValue> = [], counts: Set<JSONValue> = []  // what 200 seeds reached
        for seed in 0..<200 {
            var rng = SplitMix64(seed: UInt64(seed))
            let value = JSONSchemaSampler(Self.action).random(using: &rng)
            colours.insert(value["colour"] ?? nil)
            counts.insert(value["count"] ?? nil)
            #expect(value["colour"] == "red" || value["colour"] == "green")
            #expect((3...5).contains(value["count"]?.intValue ?? 0))
            #expect((11...12).contains(value["above"]?.intValue ?? 0))
            #expect((0.5...0.75).contains(value["ratio"]?.doubleValue ?? 0))
            #expect((7...9).contains(value["name"]?.stringValue?.count ?? 0))
            #expect((value["code"]?.stringValue?.count ?? 9) <= 2)
            #expect(value["flag"]?.boolValue != nil && value["typed"]?.boolValue != nil)
            #expect(value["maybe"] == 7)
            #expect(value["either"] == "a" || value["either"] == "b")
            #expect((value["both"]?.stringValue?.count ?? 9) <= 3)
            #expect((1...2).contains(value["list"]?.arrayValue?.count ?? 0) && value["list"]?.arrayValue?.allSatisfy { $0 == 1 } == true)
            #expect(value["extra"] == [:])
            if let note = value["note"] { optionalNoteSeen = true; #expect(JSONSchemaSampler.words.contains(note.stringValue ?? "")) } else { optionalNoteMissed = true }
        }
        #expect(colours == ["red", "green"] && counts == [3, 4, 5], "200 seeds reach every enum member and every integer in bounds")
        #expect(optionalNoteSeen && optionalNoteMissed, "an optional property is sometimes sent and sometimes not")
    }

    @Test func aSeedRepeatsItsValuesAndAdvancesTheGenerator() {
        var first = SplitMix64(seed: 7), second = SplitMix64(seed: 7)
        let sampler = JSONSchemaSampler(Self.action)
        let a = (0..<5).map { _ in sampler.random(using: &first) }
        let b = (0..<5).map { _ in sampler.random(using: &second) }
        #expect(a == b)
        #expect(Set(a).count > 1, "the generator moves on between values")
        #expect(first.next() == second.next())
    }

    @Test func deepOrCircularSchemasEndInNull() {
        let circular: JSONValue = ["$ref": "#"]
        #expect(JSONSchemaSampler(circular).simplest() == .null)
        var rng = SplitMix64(seed: 1)
        #expect(JSONSchemaSampler(["type": "integer", "minimum": .int(.min), "maximum": .int(.max)]).random(using: &rng).intValue != nil)
    }
}
