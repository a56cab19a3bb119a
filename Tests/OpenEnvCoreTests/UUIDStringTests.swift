import Foundation
import OpenEnvCore
import Testing

/// Generated episode and session ids are UUID4 text, as the reference's `uuid.uuid4()` gives.
struct UUIDStringTests {
    @Test func generatedIDsAreVersionFourUUIDsInCanonicalForm() throws {
        var seen = Set<String>()
        for _ in 0..<2000 {
            let text = UUIDString.random()
            // Foundation's parser, an independent reading of the text.
            let uuid = try #require(UUID(uuidString: text), "\(text)")
            #expect(uuid.uuidString.lowercased() == text, "lowercase 8-4-4-4-12 hex")
            let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version 4: \(text)")
            #expect(bytes[8] >> 6 == 0b10, "RFC 4122 variant: \(text)")
            seen.insert(text)
        }
        #expect(seen.count == 2000)
    }

    @Test func everyRandomNibbleVaries() {
        // Over many ids, each of the 30 random hex positions takes more than one value
        // (a nibble written from the wrong bits would stay constant).
        var values = Array(repeating: Set<Character>(), count: 36)
        for _ in 0..<500 {
            for (i, c) in UUIDString.random().enumerated() { values[i].insert(c) }
        }
        let fixed = [8, 13, 14, 18, 23]  // the four dashes and the version digit
        for i in 0..<36 where !fixed.contains(i) { #expect(values[i].count > 1, "position \(i)") }
        #expect(values[14] == ["4"])
        #expect(values[19].isSubset(of: ["8", "9", "a", "b"]))
    }
}
