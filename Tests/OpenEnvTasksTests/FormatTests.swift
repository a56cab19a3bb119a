import Foundation
import OpenEnvCore
import Testing

@testable import OpenEnvTasks

@Suite struct FormatTests {
    @Test func jsonLinesSkipBlankLinesAndNameTheBadLine() throws {
        let rows = try TaskFileFormat.jsonLines.rows(Array("{\"a\": 1}\n\n  \r\n{\"a\": 2, \"b\": [true]}\n".utf8), source: "x.jsonl")
        #expect(rows == [["a": 1], ["a": 2, "b": [true]]])
        #expect(throws: TasksetError.malformed("x.jsonl", "line 2 is not a JSON object")) {
            try TaskFileFormat.jsonLines.rows(Array("{\"a\": 1}\n[1]\n".utf8), source: "x.jsonl")
        }
        #expect(throws: TasksetError.self) { try TaskFileFormat.jsonLines.rows(Array("{\"a\": \n".utf8), source: "x.jsonl") }
    }

    @Test func jsonArraysOrAnObjectHoldingOne() throws {
        #expect(try TaskFileFormat.json.rows(Array(#"[{"q": "a"}, {"q": "b"}]"#.utf8), source: "x") == [["q": "a"], ["q": "b"]])
        #expect(try TaskFileFormat.json.rows(Array(#"{"version": 2, "data": [{"q": "a"}]}"#.utf8), source: "x") == [["q": "a"]])
        #expect(throws: TasksetError.malformed("x", "row 1 is not a JSON object")) {
            try TaskFileFormat.json.rows(Array(#"[{"q": "a"}, 3]"#.utf8), source: "x")
        }
    }

    @Test func csvWithQuotesLineBreaksAndInferredNumbers() throws {
        let text = "\u{FEFF}id,question,answer,score\r\n1,\"Say \"\"hi\"\", twice\",hi hi,0.5\r\n2,\"two\nlines\",\"007\",\n"
        let rows = try TaskFileFormat.csv.rows(Array(text.utf8), source: "q.csv")
        #expect(rows == [
            ["id": 1, "question": "Say \"hi\", twice", "answer": "hi hi", "score": 0.5],
            ["id": 2, "question": "two\nlines", "answer": "007", "score": nil],
        ])
        #expect(throws: TasksetError.malformed("q.csv", "row 1 has 1 fields, the header 2")) {
            try TaskFileFormat.csv.rows(Array("a,b\n1\n".utf8), source: "q.csv")
        }
        #expect(throws: TasksetError.malformed("q.csv", "a quoted field is not closed")) {
            try TaskFileFormat.csv.rows(Array("a\n\"open\n".utf8), source: "q.csv")
        }
    }

    @Test func formatsByExtension() {
        #expect(TaskFileFormat(fileName: "data/train-0.JSONL") == .jsonLines)
        #expect(TaskFileFormat(fileName: "x.parquet") == .parquet && TaskFileFormat(fileName: "x.csv") == .csv)
        #expect(TaskFileFormat(fileName: "README.md") == nil)
    }

    @Test func dataFilesAreAssignedToSplitsByTheHubsConventions() {
        let files = [
            "README.md", ".gitattributes", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
            "data/test-00000-of-00001.parquet", "dev.jsonl", "extra/hard/part-0.csv", ".cache/train.jsonl",
        ]
        let splits = DataFiles.splits(of: files)
        #expect(splits.map(\.split) == ["train", "validation", "test"])
        #expect(splits[0].files == ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"])
        #expect(splits[1].files == ["dev.jsonl"])
        #expect(DataFiles.splits(of: files, only: "hard").first?.files == ["extra/hard/part-0.csv"])
        #expect(DataFiles.splits(of: ["default/train/0000.parquet", "default/validation/0000.parquet"]).map(\.split) == ["train", "validation"])
        #expect(DataFiles.splits(of: ["questions.jsonl"]).map(\.split) == ["train"])
        #expect(DataFiles.splits(of: files, only: "nope").isEmpty)
    }

    @Test func aDirectoryLoadsItsSplits() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("{\"q\": \"a\"}\n{\"q\": \"b\"}\n", to: root + "/train.jsonl")
        try write("q\nc\n", to: root + "/test.csv")
        let taskset = try await Taskset.load(.directory(root))
        #expect(taskset.splitNames == ["train", "test"])
        #expect(try taskset.split("test").rows == [["q": "c"]])
        #expect(throws: TasksetError.unknownSplit("validation", available: ["train", "test"])) { try taskset.split("validation") }
        let single = try await Taskset.load(.file(root + "/train.jsonl", split: "all"))
        #expect(single.splitNames == ["all"] && single.splits[0].count == 2)
        await #expect(throws: TasksetError.notFound("no folder at \(root)/missing")) { try await Taskset.load(.directory(root + "/missing")) }
        #expect(try TaskSource(root) == .directory(root))
        #expect(try TaskSource(root + "/test.csv", defaultSplit: "test") == .file(root + "/test.csv", split: "test"))
        #expect(try TaskSource("openai/gsm8k@main:test") == .hub(try HubDatasetReference(id: "openai/gsm8k", revision: "main", split: "test")))
        #expect(throws: TasksetError.notFound("no file or folder at ./nowhere")) { try TaskSource("./nowhere") }
    }
}
