import Testing
@testable import OpenEnvCore

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValueAndKeepsKeyOrder() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":[true,false,null],"m":{"x":-2.5e3,"y":"h\u00e9\n"},"i":12345678901}"#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.keys == ["z", "a", "m", "i"])
        #expect(object["a"] == [true, false, nil])
        #expect(value["m"]?["x"] == .double(-2500))
        #expect(value["m"]?["y"] == "hé\n")
        #expect(value["i"] == .int(12_345_678_901))
    }

    @Test func integersAndFloatsStayDistinct() throws {
        #expect(try JSONParser.parse("3") == .int(3))
        #expect(try JSONParser.parse("3.0") == .double(3))
        #expect(try JSONParser.parse("1e2") == .double(100))
    }

    @Test func acceptsPythonsNonFiniteLiterals() throws {
        #expect(try JSONParser.parse("Infinity") == .double(.infinity))
        #expect(try JSONParser.parse("-Infinity") == .double(-.infinity))
        guard case .double(let nan) = try JSONParser.parse("NaN") else { Issue.record("NaN"); return }
        #expect(nan.isNaN)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == "😀")
    }

    @Test(arguments: [
        ("{not json", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ("", "Expecting value: line 1 column 1 (char 0)"),
        ("[1,]", "Expecting value: line 1 column 4 (char 3)"),
        (#"{"a" 1}"#, "Expecting ':' delimiter: line 1 column 6 (char 5)"),
        (#"{"a":1,}"#, "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"),
        (#""abc"#, "Unterminated string starting at: line 1 column 1 (char 0)"),
        ("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
        ("1 2", "Extra data: line 1 column 3 (char 2)"),
        (#"{"a":"\q"}"#, "Invalid \\escape: line 1 column 7 (char 6)"),
        ("\"\u{01}\"", "Invalid control character at: line 1 column 2 (char 1)"),
    ])
    func reportsErrorsInPythonsWords(input: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func countsCharactersNotBytesInPositions() {
        do {
            _ = try JSONParser.parse("[\"é\" x]")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 5)
        }
    }

    @Test func rejectsPathologicalNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }
}

@Suite struct JSONWriterTests {
    let value: JSONValue = ["a": 1e-7, "b": 1e16, "c": "é\n\"", "d": [1.0, 0.5, 3], "e": nil]

    @Test func compactStyleMatchesPydantic() {
        #expect(JSONWriter(style: .compact).string(value) == #"{"a":1e-7,"b":1e16,"c":"é\n\"","d":[1.0,0.5,3],"e":null}"#)
    }

    @Test func pythonStyleMatchesJsonDumps() {
        #expect(JSONWriter(style: .python).string(value) == #"{"a": 1e-07, "b": 1e+16, "c": "\u00e9\n\"", "d": [1.0, 0.5, 3], "e": null}"#)
    }

    @Test func integersAndWholeDoublesAreSpelledAsTheStandardLibrarySpellsThem() {
        // The writer prints these digit by digit; `String(_:)` and `description` are the oracle
        // (whole doubles below 1e16 have no exponent, so Python's repr spells them alike).
        var generator = SystemRandomNumberGenerator()
        var integers = [0, 7, 9, 10, -1, -10, 99, 100, 12_345, Int.max, Int.min, Int.min + 1]
        integers += (0..<500).map { _ in Int.random(in: .min ... .max, using: &generator) >> Int.random(in: 0..<63, using: &generator) }
        for i in integers {
            #expect(JSONWriter(style: .compact).string(.int(i)) == String(i))
        }
        var doubles: [Double] = [0, -0.0, 1, -1, 10, 9_007_199_254_740_991, 9_007_199_254_740_992, 1e15, -123_456_789, 0.5, 2.5e-3]
        doubles += (0..<500).map { _ in Double(Int.random(in: -(1 << 53) ... (1 << 53), using: &generator)) }
        for d in doubles {
            #expect(JSONWriter(style: .compact).string(.double(d)) == d.description)
        }
    }

    @Test func arraysOfDoublesWrittenInPlaceMatchTheTreeWriter() {
        var generator = SystemRandomNumberGenerator()
        let specials: [Double] = [0, -0.0, 1, -1, 2, 9, 9.5, 10, 11, 0.5, 9_007_199_254_740_991, -9_007_199_254_740_991, 9_007_199_254_740_992, 1e16,
                                  0.1, -2.2250738585072014e-308, 1e-7, .nan, .infinity, 123_456_789.5]
        for count in [0, 1, 2, 50, 300] {
            let values = (0..<count).map { _ in
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: specials.randomElement(using: &generator)!
                case 1: Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
                default: Double.random(in: -1e20...1e20, using: &generator) * [1, 1e-10, 1e-19, 1e-30].randomElement(using: &generator)!
                }
            }
            for style in [JSONWriter.Style.compact, .python] {
                var inPlace: [UInt8] = Array("prefix".utf8)
                JSONWriter(style: style).writeDoubles(values, into: &inPlace)
                #expect(String(decoding: inPlace, as: UTF8.self) == "prefix" + JSONWriter(style: style).string(.array(values.map(JSONValue.double))))
            }
        }
    }

    @Test func arraysOfIntegersAndStringsMatchTheTreeWriter() {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 40] {
            let integers = (0..<count).map { _ in Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0..<64, using: &generator) }
            let strings = (0..<count).map { _ in ["", "a", "é\u{1}\"\\", "line\nbreak", "🙂"].randomElement(using: &generator)! }
            for style in [JSONWriter.Style.compact, .python] {
                let writer = JSONWriter(style: style)
                var ints: [UInt8] = Array("[".utf8), texts: [UInt8] = []
                writer.writeIntegers(integers, into: &ints)
                writer.writeStrings(strings, into: &texts)
                #expect(String(decoding: ints, as: UTF8.self) == "[" + writer.string(.array(integers.map(JSONValue.int))))
                #expect(String(decoding: texts, as: UTF8.self) == writer.string(.array(strings.map(JSONValue.string))))
            }
        }
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSONValue.array([.double(.nan), .double(.infinity)]).description == "[null,null]")
    }

    @Test func roundTripsThroughTheParser() throws {
        let text = JSONWriter().string(value)
        #expect(try JSONParser.parse(text) == value)
    }
}

/// Objects of every size behave the same, whether looked up by scan or by index.
@Suite struct JSONObjectTests {
    @Test(arguments: [3, 17, 1000])
    func repeatedKeysKeepTheLastValueInTheFirstPlaceAsPythonDoes(_ count: Int) throws {
        // Python: json.loads('{"k0":0,...,"k<n-1>":n-1,"k0":"last"}') -> k0 first, valued "last".
        var text = "{" + (0..<count).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        text += ",\"k0\":\"last\"}"
        let object = try #require(try JSONParser.parse(text).objectValue)
        #expect(object.count == count)
        #expect(object.keys.first == "k0" && object["k0"] == "last")
        #expect(object["k\(count - 1)"] == .int(count - 1))
        #expect(object["missing"] == nil)
    }

    @Test func lookupsStayRightAcrossRemovalsAndGrowth() {
        var object = JSONObject()
        for k in 0..<40 { object["k\(k)"] = .int(k) }
        object["k5"] = nil  // a removal shifts every later position
        object["k39"] = "replaced"
        #expect(object.count == 39)
        #expect(object["k5"] == nil)
        #expect(object["k6"] == 6 && object[5].key == "k6")
        #expect(object["k39"] == "replaced" && object.keys.last == "k39")
        for k in 0..<40 where k != 5 { object["k\(k)"] = nil }
        #expect(object.isEmpty && object["k0"] == nil)
        object["again"] = true
        #expect(object.keys == ["again"])
    }

    @Test func equalityIgnoresHowAnObjectWasBuilt() throws {
        var built = JSONObject()
        for k in 0..<20 { built["k\(k)"] = .int(k) }
        let parsed = try JSONParser.parse("{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}")
        #expect(JSONValue.object(built) == parsed)
        #expect(Set([JSONValue.object(built), parsed]).count == 1)
    }
}
