import OpenEnvCore
import Testing

@testable import OpenEnvBridge

@Suite struct LineFramerTests {
    private func frames(_ chunks: [String], maxLength: Int = 16) -> [LineFramer.Frame] {
        var framer = LineFramer(maxLength: maxLength)
        return chunks.flatMap { chunk in Array(chunk.utf8).withUnsafeBytes { framer.append($0) } }
    }

    @Test func splitsOnNewlinesAcrossChunks() {
        #expect(frames(["{\"a\"", ":1}\n{\"b\":2}\r\n", "\n", "{\"c\"", ":3}"]) == [
            .line(Array("{\"a\":1}".utf8)), .line(Array("{\"b\":2}".utf8)),
        ])
    }

    @Test func dropsAnOversizedLineOnceAndRecovers() {
        #expect(frames(["0123456789", "0123456789", "0123456789\nok\n"]) == [.oversized(20), .line(Array("ok".utf8))])
        #expect(frames([String(repeating: "x", count: 40) + "\nok\n"]) == [.oversized(40), .line(Array("ok".utf8))])
    }
}

@Suite struct SSEParserTests {
    @Test func joinsDataLinesAndDispatchesOnBlankLines() throws {
        var parser = SSEParser(maxEventSize: 1024)
        var events = try parser.append(Array(": comment\r\nevent: message\r\nid: 7\r\ndata: {\"a\":\r\n".utf8))
        #expect(events.isEmpty)
        events = try parser.append(Array("data:1}\r\n\r\ndata: two\rdata:lines\r\r".utf8))
        #expect(events == [
            SSEParser.Event(type: "message", data: "{\"a\":\n1}", id: "7"),
            SSEParser.Event(type: "message", data: "two\nlines", id: "7"),
        ])
        #expect(try parser.append(Array("event: ping\n\ndata: unfinished".utf8)).isEmpty)
    }

    @Test func refusesOversizedEvents() {
        var parser = SSEParser(maxEventSize: 8)
        #expect(throws: SSEParser.OversizedEvent.self) { try parser.append(Array("data: 0123456789\n\n".utf8)) }
    }
}

@Suite struct ArgumentValidatorTests {
    /// mcp-server-git's `git_log` schema (pydantic: titles, defaults, anyOf with null).
    static let gitLog: JSONValue = [
        "type": "object", "title": "GitLog", "required": ["repo_path"],
        "properties": [
            "repo_path": ["title": "Repo Path", "type": "string"],
            "max_count": ["default": 10, "title": "Max Count", "type": "integer", "minimum": 1],
            "start_timestamp": ["anyOf": [["type": "string"], ["type": "null"]], "default": nil],
        ],
    ]

    @Test func acceptsWhatTheSchemaAllows() {
        let validator = ArgumentValidator(schema: Self.gitLog)
        #expect(validator.problems(["repo_path": "/r"]).isEmpty)
        #expect(validator.problems(["repo_path": "/r", "max_count": 3.0, "start_timestamp": nil, "extra": true]).isEmpty)
    }

    @Test func namesEveryProblemWithItsLocation() {
        let validator = ArgumentValidator(schema: Self.gitLog)
        #expect(validator.problems([:]) == ["repo_path: Field required"])
        #expect(validator.problems(["repo_path": 5, "max_count": 0, "start_timestamp": 3]) == [
            "repo_path: Input should be a valid string",
            "max_count: Input should be greater than or equal to 1",
            "start_timestamp: Input should be a valid string or None",
        ])
        #expect(validator.problems(["repo_path": "/r", "max_count": 2.5]) == ["max_count: Input should be a valid integer"])
    }

    @Test func followsLocalReferencesAndClosedObjects() {
        let schema: JSONValue = [
            "type": "object", "additionalProperties": false,
            "properties": ["files": ["type": "array", "minItems": 1, "items": ["$ref": "#/$defs/File"]]],
            "$defs": ["File": ["type": "object", "required": ["path"], "properties": ["path": ["type": "string", "enum": ["a", "b"]]]]],
        ]
        let validator = ArgumentValidator(schema: schema)
        #expect(validator.problems(["files": [["path": "a"]]]).isEmpty)
        #expect(validator.problems(["files": [], "x": 1]) == ["files: List should have at least 1 item", "x: Extra inputs are not permitted"])
        #expect(validator.problems(["files": [["path": "c"], [:]]]) == ["files.0.path: Input should be \"a\", \"b\"", "files.1.path: Field required"])
    }

    @Test func leavesUnknownKeywordsToTheServer() {
        let validator = ArgumentValidator(schema: ["type": "object", "properties": ["s": ["type": "string", "pattern": "^x$", "format": "uri"]]])
        #expect(validator.problems(["s": "anything"]).isEmpty)
    }
}
