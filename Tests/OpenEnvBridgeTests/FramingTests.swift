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

@Suite struct BridgedToolTests {
    @Test func refusesArgumentsTheSchemaRejectsNamingEachProblem() throws {
        let tool = try #require(BridgedTool([
            "name": "git_log",
            "inputSchema": [
                "type": "object", "required": ["repo_path"],
                "properties": ["repo_path": ["type": "string"], "max_count": ["type": "integer", "minimum": 1]],
            ],
        ]))
        try tool.validate(["repo_path": "/r", "max_count": 3])
        let error = #expect(throws: ToolError.self) { try tool.validate(["max_count": 0]) }
        #expect(error?.errorType == .invalidArgs)
        #expect(error?.message == "Invalid arguments for tool 'git_log': repo_path: Field required; max_count: Input should be greater than or equal to 1")
    }

    @Test func aToolWithARemoteReferenceIsCheckedOnlyWhereItCanBe() throws {
        let tool = try #require(BridgedTool([
            "name": "t",
            "inputSchema": ["type": "object", "properties": ["a": ["$ref": "https://example.org/a.json"], "b": ["type": "string"]]],
        ]))
        try tool.validate(["a": 1])
        #expect(throws: ToolError.self) { try tool.validate(["b": 1]) }
    }
}
