import OpenEnvCore
import Testing

@testable import OpenEnvValidation

@Suite struct SchemaValidatorTests {
    static let grid: JSONValue = try! JSONParser.parse(##"""
        {"$defs":{"Move":{"enum":["UP","DOWN"],"type":"string"}},
         "additionalProperties":false,
         "properties":{"move":{"$ref":"#/$defs/Move"},"row":{"type":"integer","minimum":0},
                       "reward":{"anyOf":[{"type":"boolean"},{"type":"integer"},{"type":"number"},{"type":"null"}]},
                       "tags":{"type":"array","items":{"type":"string"}},"label":{"const":"grid"}},
         "required":["move","row"],"type":"object"}
        """##)

    @Test func acceptsAValidValueAndIntegralFloatsAsIntegers() throws {
        let validator = try JSONSchemaValidator(schema: Self.grid)
        #expect(validator.validate(["move": "UP", "row": 2, "reward": nil, "tags": ["a"], "label": "grid"]).isEmpty)
        #expect(validator.validate(["move": "DOWN", "row": 2.0, "reward": true]).isEmpty)
    }

    @Test func namesEachProblemWithItsPathAndKeyword() throws {
        let validator = try JSONSchemaValidator(schema: Self.grid)
        let issues = validator.validate(["move": "LEFT", "row": -1, "tags": [1], "label": "other", "extra": 1, "reward": "x"])
        let keywords = Set(issues.map(\.keyword))
        #expect(keywords == ["enum", "minimum", "type", "const", "additionalProperties", "anyOf"])
        #expect(issues.contains { $0.keyword == "enum" && $0.instancePath == "/move" && $0.schemaPath == "properties/move/$ref/enum" })
        #expect(issues.contains { $0.keyword == "type" && $0.instancePath == "/tags/0" })
        #expect(issues.contains { $0.keyword == "additionalProperties" && $0.message.contains("'extra'") })
        let missing = validator.validate(["row": 1.5])
        #expect(missing.map(\.keyword).sorted() == ["required", "type"])
        #expect(missing.first { $0.keyword == "required" }?.message == "missing properties: 'move'")
    }

    @Test func refusesRemoteReferencesAndStopsRecursion() throws {
        #expect(throws: JSONSchemaValidator.SchemaError.self) { try JSONSchemaValidator(schema: ["$ref": "https://example.org/x.json"]) }
        let recursive = try JSONSchemaValidator(schema: ["$ref": "#"])
        #expect(recursive.validate(1).contains { $0.keyword == "ref-depth" })
        let tree = try JSONSchemaValidator(schema: try JSONParser.parse(##"{"$defs":{"N":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/N"}}}}},"$ref":"#/$defs/N"}"##))
        #expect(tree.isValid(["kids": [["kids": []]]]))
        #expect(!tree.isValid(["kids": [["kids": [3]]]]))
        #expect(try !JSONSchemaValidator(schema: false).isValid(nil))
    }
}
