import OpenEnvClient
import Testing

@Suite struct ServerAddressTests {
    @Test(arguments: [
        ("http://localhost:8000", "ws://localhost:8000/ws", "http://localhost:8000/health"),
        ("https://openenv-echo-env.hf.space/", "wss://openenv-echo-env.hf.space/ws", "https://openenv-echo-env.hf.space/health"),
        ("localhost:8000", "ws://localhost:8000/ws", "http://localhost:8000/health"),
        ("http://h/prefix", "ws://h/prefix/ws", "http://h/prefix/health"),
        ("ws://h:1/p/", "ws://h:1/p/ws", "http://h:1/p/health"),
        ("wss://h", "wss://h/ws", "https://h/health"),
        ("  HTTP://h:9/?q=1#f ", "ws://h:9/ws", "http://h:9/health"),
    ])
    func derivesTheSpecURLs(base: String, webSocket: String, health: String) throws {
        let address = try ServerAddress(base)
        #expect(address.webSocketURL == webSocket)
        #expect(address.url(path: "/health") == health)
    }

    @Test func attachingPercentEncodesTheSessionID() throws {
        let address = try ServerAddress("http://h:1")
        #expect(address.webSocketURL(attachingTo: "a b/c?") == "ws://h:1/ws?session_id=a%20b%2Fc%3F")
    }

    @Test(arguments: ["", "ftp://h", "http://", "http:///path", "/"])
    func rejectsUnusableURLs(base: String) {
        #expect(throws: OpenEnvError.self) { try ServerAddress(base) }
    }

    @Test func backoffGrowsAndIsCapped() {
        let backoff = Backoff(initialDelay: .milliseconds(100), multiplier: 2, maxDelay: .milliseconds(500), maxAttempts: 6)
        #expect((1...6).map { backoff.delay(before: $0) } == [.zero, .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
        #expect(Backoff(maxAttempts: 0).maxAttempts == 1)
    }
}
