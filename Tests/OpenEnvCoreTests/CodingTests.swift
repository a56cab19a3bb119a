import Testing
@testable import OpenEnvCore

private struct Move: Codable, Sendable, Equatable {
    enum Direction: String, Codable, CaseIterable { case up = "UP", down = "DOWN" }
    var direction: Direction
    var stepSize: Int
    var note: String?
    var tags: [String: Int]
}

@Suite struct JSONValueDecoderTests {
    @Test func decodesSnakeCaseKeysWithLaxNumbers() throws {
        let move = try JSONValueDecoder().decode(Move.self, from: ["direction": "UP", "step_size": "3", "tags": ["a": 1.0]])
        #expect(move == Move(direction: .up, stepSize: 3, note: nil, tags: ["a": 1]))
    }

    @Test func reportsExtraKeysWithTheirPath() {
        #expect {
            try JSONValueDecoder().decode(Move.self, from: ["direction": "UP", "step_size": 1, "tags": [:], "bogus": 1])
        } throws: { error in
            let issues = (error as? ValidationFailure)?.issues ?? []
            return issues == [ValidationIssue(type: "extra_forbidden", loc: ["bogus"], msg: "Extra inputs are not permitted", input: 1)]
        }
    }

    @Test func reportsMissingFields() {
        #expect {
            try JSONValueDecoder().decode(Move.self, from: ["direction": "UP", "tags": [:]])
        } throws: { error in
            let issue = (error as? ValidationFailure)?.issues.first
            return issue?.type == "missing" && issue?.loc == ["step_size"]
        }
    }

    @Test func reportsLiteralErrorsWithTheAllowedValues() {
        #expect {
            try JSONValueDecoder().decode(Move.self, from: ["direction": "SIDEWAYS", "step_size": 1, "tags": [:]])
        } throws: { error in
            let issue = (error as? ValidationFailure)?.issues.first
            return issue?.type == "literal_error" && issue?.loc == ["direction"] && issue?.msg == "Input should be 'UP' or 'DOWN'"
        }
    }

    @Test func refusesNumbersForStringsAndFractionsForIntegers() {
        #expect(throws: ValidationFailure.self) { try JSONValueDecoder().decode(String.self, from: 5) }
        #expect(throws: ValidationFailure.self) { try JSONValueDecoder().decode(Int.self, from: 1.5) }
        #expect(throws: ValidationFailure.self) { try JSONValueDecoder().decode(Int.self, from: "x") }
    }
}

@Suite struct JSONValueEncoderTests {
    @Test func writesSnakeCaseInDeclarationOrderAndNullForNil() throws {
        let value = try JSONValueEncoder().encode(Move(direction: .down, stepSize: 2, note: nil, tags: ["b": 2, "a": 1]))
        #expect(JSONWriter().string(value) == #"{"direction":"DOWN","step_size":2,"note":null,"tags":{"a":1,"b":2}}"#)
    }

    @Test func snakeCaseHandlesAcronyms() {
        #expect(KeyCase.snake("episodeID") == "episode_id")
        #expect(KeyCase.snake("goalRow") == "goal_row")
        #expect(KeyCase.snake("URLValue") == "url_value")
        #expect(KeyCase.snake("already_snake") == "already_snake")
    }
}

@Suite struct JSONSchemaTests {
    @Test func derivesRequiredOptionalEnumAndDictionaryProperties() throws {
        let schema = JSONSchema.of(Move.self)
        #expect(schema["required"] == ["direction", "step_size", "tags"])
        #expect(schema["additionalProperties"] == false)
        #expect(schema["properties"]?["direction"] == ["enum": ["UP", "DOWN"], "type": "string"])
        #expect(schema["properties"]?["step_size"] == ["type": "integer"])
        #expect(schema["properties"]?["note"]?["anyOf"] == [["type": "string"], ["type": "null"]])
        #expect(schema["properties"]?["tags"] == ["type": "object", "additionalProperties": ["type": "integer"]])
    }

    @Test func baseStateSchemaIsTitledStateAndAllowsExtras() {
        let schema = JSONSchema.of(BasicState.self, allowExtra: true)
        #expect(schema["title"] == "State")
        #expect(schema["additionalProperties"] == true)
        #expect(schema["properties"]?["episode_id"] != nil)
    }
}
