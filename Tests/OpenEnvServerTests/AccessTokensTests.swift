import Logging
import NIOHTTP1
import Testing
@testable import OpenEnvServer

/// The token file and the comparison behind `--auth-token-file` (the end-to-end behaviour,
/// with the official client, is in Tests/Interop/test_operations.py).
struct AccessTokensTests {
    @Test func aBareTokenAndANamedLimitedTokenParse() throws {
        let tokens = try AccessTokens(parsing: "# operators\n\nabc123\n  tok-2.x  name=trainer-a\tmax_sessions=3   # lab\n")
        #expect(tokens.names == ["token-3", "trainer-a"])
        #expect(tokens.principal(presenting: "abc123".utf8) == AccessPrincipal(name: "token-3"))
        #expect(tokens.principal(presenting: "tok-2.x".utf8) == AccessPrincipal(name: "trainer-a", maxSessions: 3))
    }

    @Test func onlyTheExactTokenMatches() throws {
        let tokens = try AccessTokens(parsing: "abc123\n")
        for presented in ["abc12", "abc1234", "ABC123", "", "abc123 ", "xbc123", "abc123abc123"] {
            #expect(tokens.principal(presenting: presented.utf8) == nil, "\(presented)")
        }
    }

    @Test func mistakesNameTheLineButNeverTheToken() {
        let cases: [(String, String)] = [
            ("secret-one\nsecret-one\n", "token file, line 2: the same token appears on an earlier line"),
            ("secret-one name=a\nsecret-two name=a\n", "token file, line 2: the name 'a' is used twice"),
            ("secret-one max_sessions=0\n", "token file, line 1: max_sessions must be a whole number of at least 1"),
            ("secret-one colour=red\n", "token file, line 1: unknown field 'colour' (expected name or max_sessions)"),
            ("secret-one name=has/slash\n", "token file, line 1: a name is 1 to 64 letters, digits, '-', '_' or '.'"),
            ("secret-ön\n", "token file, line 1: the token holds a character outside printable ASCII"),
            ("# nothing\n\n", "token file: no token found"),
        ]
        for (text, message) in cases {
            #expect(throws: AccessTokensError.self) { try AccessTokens(parsing: text) }
            do {
                _ = try AccessTokens(parsing: text)
            } catch {
                #expect(error.description == message)
                #expect(!error.description.contains("secret"))
            }
        }
    }

    @Test func theBearerSchemeIsCaseInsensitiveAndTrimmed() {
        #expect(AccessTokens.bearerToken(in: "Bearer abc") == "abc")
        #expect(AccessTokens.bearerToken(in: "bearer   abc  ") == "abc")
        #expect(AccessTokens.bearerToken(in: "BEARER abc") == "abc")
        #expect(AccessTokens.bearerToken(in: "Basic abc") == nil)
        #expect(AccessTokens.bearerToken(in: "Bearer ") == nil)
        #expect(AccessTokens.bearerToken(in: "Bearerabc") == nil)
    }

    @Test func theGateLeavesHealthAndReadyOpenAndRefusesTheRest() throws {
        var configuration = ServerConfiguration()
        configuration.accessTokens = try AccessTokens(parsing: "abc123 name=a\n")
        let gate = AccessGate(configuration: configuration, metrics: nil, logger: .init(label: "test"))
        func decide(_ path: String, _ authorization: String?) -> Int? {
            var headers = HTTPHeaders()
            if let authorization { headers.add(name: "Authorization", value: authorization) }
            switch gate.authorize(path: path, headers: headers, webSocket: false, record: false) {
            case .allow: return nil
            case .refuse(let response): return Int(response.status.code)
            }
        }
        #expect(decide("/health", nil) == nil)
        #expect(decide("/ready?x=1", nil) == nil)
        #expect(decide("/metrics", nil) == 401)  // needs the token unless --public-metrics
        #expect(decide("/schema", nil) == 401)
        #expect(decide("/ws?session_id=1", "Bearer nope") == 401)
        #expect(decide("/schema", "Bearer abc123") == nil)
        #expect(gate.preflight(HTTPRequestHead(version: .http1_1, method: .OPTIONS, uri: "/reset")) == nil)  // CORS off
    }
}
