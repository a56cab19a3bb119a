import OpenEnvCore
import Testing

/// Expected values are hand-read from JSON Schema 2020-12 (complete options) and from the
/// texts pydantic 2 gives for the same failures (precheck options).
@Suite struct JSONSchemaValidatorTests {
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

    @Test func checksCountsUniquenessAndExactlyOne() throws {
        let validator = try JSONSchemaValidator(schema: [
            "type": "object", "minProperties": 1, "maxProperties": 2,
            "properties": [
                "tags": ["type": "array", "uniqueItems": true],
                "n": ["oneOf": [["type": "integer"], ["type": "number", "minimum": 0]]],
            ],
        ])
        #expect(validator.validate([:]).map(\.keyword) == ["minProperties"])
        #expect(validator.validate(["tags": [], "n": 0.5, "x": 1]).map(\.keyword) == ["maxProperties"])
        // 1 and 1.0 are the same JSON number; objects are equal whatever their member order.
        #expect(validator.validate(["tags": [1, 1.0]]).map(\.keyword) == ["uniqueItems"])
        #expect(validator.validate(["tags": [["a": 1, "b": 2], ["b": 2, "a": 1]]]).map(\.keyword) == ["uniqueItems"])
        #expect(validator.isValid(["tags": [1, "1", [1], ["a": 1]]]))
        // 3 is an integer and a non-negative number: two alternatives, not exactly one.
        #expect(validator.validate(["n": 3]).map(\.keyword) == ["oneOf"])
        #expect(validator.isValid(["n": -3]))
        #expect(validator.isValid(["n": 0.5]))
        #expect(validator.validate(["n": "x"]).first?.message == "\"x\" matches none of the 2 alternatives, not exactly one")
    }

    @Test func precheckRejectsOnlyWhatIsCertain() throws {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "n": ["oneOf": [["type": "integer"], ["type": "number"]]],
                "r": ["$ref": "https://example.org/r.json"],
                "u": ["type": "decimal"],
            ],
        ]
        #expect(throws: JSONSchemaValidator.SchemaError.self) { try JSONSchemaValidator(schema: schema) }
        let precheck = try JSONSchemaValidator(schema: schema, options: .precheck)
        #expect(precheck.isValid(["n": 3, "r": 1, "u": "1.5"]))
        #expect(precheck.validate(["n": "3"]).map(\.dottedDescription) == ["n: Input should be a valid integer or a valid number"])
    }
}

/// mcp-server-git's schemas as the MCP bridge checks them: pydantic's texts at pydantic's
/// locations.
@Suite struct PrecheckWordingTests {
    /// mcp-server-git's `git_log` schema (pydantic: titles, defaults, anyOf with null).
    static let gitLog: JSONValue = [
        "type": "object", "title": "GitLog", "required": ["repo_path"],
        "properties": [
            "repo_path": ["title": "Repo Path", "type": "string"],
            "max_count": ["default": 10, "title": "Max Count", "type": "integer", "minimum": 1],
            "start_timestamp": ["anyOf": [["type": "string"], ["type": "null"]], "default": nil],
        ],
    ]

    @Test func acceptsWhatTheSchemaAllows() throws {
        let validator = try JSONSchemaValidator(schema: Self.gitLog, options: .precheck)
        #expect(problems(validator, ["repo_path": "/r"]).isEmpty)
        #expect(problems(validator, ["repo_path": "/r", "max_count": 3.0, "start_timestamp": nil, "extra": true]).isEmpty)
    }

    @Test func namesEveryProblemWithItsLocation() throws {
        let validator = try JSONSchemaValidator(schema: Self.gitLog, options: .precheck)
        #expect(problems(validator, [:]) == ["repo_path: Field required"])
        #expect(problems(validator, ["repo_path": 5, "max_count": 0, "start_timestamp": 3]) == [
            "repo_path: Input should be a valid string",
            "max_count: Input should be greater than or equal to 1",
            "start_timestamp: Input should be a valid string or None",
        ])
        #expect(problems(validator, ["repo_path": "/r", "max_count": 2.5]) == ["max_count: Input should be a valid integer"])
    }

    @Test func followsLocalReferencesAndClosedObjects() throws {
        let schema: JSONValue = [
            "type": "object", "additionalProperties": false,
            "properties": ["files": ["type": "array", "minItems": 1, "items": ["$ref": "#/$defs/File"]]],
            "$defs": ["File": ["type": "object", "required": ["path"], "properties": ["path": ["type": "string", "enum": ["a", "b"]]]]],
        ]
        let validator = try JSONSchemaValidator(schema: schema, options: .precheck)
        #expect(problems(validator, ["files": [["path": "a"]]]).isEmpty)
        #expect(problems(validator, ["files": [], "x": 1]) == ["files: List should have at least 1 item", "x: Extra inputs are not permitted"])
        #expect(problems(validator, ["files": [["path": "c"], [:]]]) == ["files.0.path: Input should be \"a\", \"b\"", "files.1.path: Field required"])
    }

    @Test func leavesUnknownKeywordsToTheServer() throws {
        let validator = try JSONSchemaValidator(
            schema: ["type": "object", "properties": ["s": ["type": "string", "pattern": "^x$", "format": "uri"]]], options: .precheck)
        #expect(problems(validator, ["s": "anything"]).isEmpty)
    }

    private func problems(_ validator: JSONSchemaValidator, _ arguments: JSONObject) -> [String] {
        validator.validate(.object(arguments)).map(\.dottedDescription)
    }
}
