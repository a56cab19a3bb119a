import Testing

@testable import OpenEnvServer

/// Which `traceparent` values reach the tracer (``ServerTracing/isWellFormed(traceparent:)``):
/// the examples are those of the W3C Trace Context recommendation (§3.2, §4.3).
@Suite struct TraceparentTests {
    @Test(arguments: [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // the recommendation's example
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",  // not sampled: still a parent
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like",  // a later version may append
    ])
    func wellFormedValuesAreAccepted(value: String) {
        #expect(ServerTracing.isWellFormed(traceparent: value))
    }

    @Test(arguments: [
        "",
        "garbage",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  // upper-case hex
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff is invalid
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 has exactly four parts
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  // a dash out of place
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",  // too short
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // a later version appends after a dash
    ])
    func malformedValuesAreIgnored(value: String) {
        #expect(!ServerTracing.isWellFormed(traceparent: value))
    }
}
