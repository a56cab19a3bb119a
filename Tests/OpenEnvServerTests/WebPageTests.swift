import Foundation
import NIOHTTP1
import OpenEnvCore
import OpenEnvEnvironments
import Testing
@testable import OpenEnvServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The routes of the browser page (``WebRoutes``) and how the token rules treat them; the page
/// itself is driven in Chromium by Tests/Interop/test_web.py.
struct WebPageTests {
    static var withPage: ServerConfiguration {
        var configuration = ServerConfiguration(port: 0)
        configuration.webInterface = true
        return configuration
    }

    @Test func theRootAndWebRedirectToTheSlashedPage() throws {
        var router = HTTPRouter()
        WebRoutes(factory: EnvironmentFactory { GridEnvironment() }, configuration: Self.withPage, registry: nil).register(on: &router)
        for path in ["/", "/web"] {
            guard case .constant(let response) = router.route(.GET, path).0 else { Issue.record("\(path) is not constant"); continue }
            #expect(response.status == .temporaryRedirect, "\(path)")
            #expect(response.headers.contains { $0.0 == "location" && $0.1 == "/web/" }, "\(path)")
        }
        guard case .constant(let page) = router.route(.GET, "/web/").0 else { Issue.record("/web/ is not constant"); return }
        #expect(page.status == .ok)
        #expect(page.contentType == "text/html; charset=utf-8")
    }

    @Test func thePageIsOneSmallFileWithNothingFetchedFromElsewhere() throws {
        let text = String(decoding: WebRoutes.page, as: UTF8.self)
        #expect(WebRoutes.page.count < 150 * 1024)
        #expect(text.hasPrefix("<!doctype html>"))
        #expect(text.contains(#"<link rel="icon" href="data:,">"#))
        // The only URL in the file is the SVG namespace; no script, style or font from a CDN.
        let rest = text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!rest.contains("http://") && !rest.contains("https://") && !rest.contains("//cdn"))
        #expect(!text.contains("<script src") && !text.contains("@import") && !text.contains("rel=\"stylesheet\""))
        // The hint the server fills in is there exactly once.
        #expect(text.components(separatedBy: String(decoding: WebRoutes.hintMarker, as: UTF8.self)).count == 2)
    }

    @Test func theServerServesThePageOverHTTPAndTellsItWhatTheEnvironmentOffers() async throws {
        try await withServer(EnvironmentFactory { EchoEnvironment() }, configuration: Self.withPage) { server in
            let (data, response) = try await URLSession.shared.data(from: URL(string: server.base + "/web/")!)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 200)
            #expect(http.value(forHTTPHeaderField: "Content-Type") == "text/html; charset=utf-8")
            #expect(Array(data) == WebRoutes.page)  // no token configured: the hint stays false
            #expect(http.value(forHTTPHeaderField: "Content-Security-Policy")?.contains("default-src 'none'") == true)
            let (status, config) = try await server.http("GET", "/web/config.json")
            #expect(status == 200)
            #expect(config == ["env_name": "echo_env", "mode": "simulation", "tools": true, "mcp_actions": true, "tasks": false,
                               "max_message_size": .int(16 * 1024 * 1024)])
        }
    }

    @Test func withoutTheWebInterfaceNoPageRouteExists() async throws {
        try await withServer(EnvironmentFactory { GridEnvironment() }) { server in
            for path in ["/", "/web", "/web/", "/web/config.json", "/web/metadata"] {
                let (status, body) = try await server.http("GET", path)
                #expect(status == 404, "\(path)")
                #expect(body == ["detail": "Not Found"], "\(path)")
            }
        }
    }

    @Test func withTokensOnlyThePageItselfIsOpen() throws {
        var configuration = Self.withPage
        configuration.accessTokens = try AccessTokens(parsing: "tok+/=en name=a\n")
        let gate = AccessGate(configuration: configuration, metrics: nil, logger: .init(label: "test"))
        func allowed(_ path: String, _ headers: [(String, String)] = [], webSocket: Bool = false) -> Bool {
            if case .allow = gate.authorize(path: path, headers: HTTPHeaders(headers), webSocket: webSocket, record: false) { return true }
            return false
        }
        #expect(allowed("/") && allowed("/web") && allowed("/web/"))
        #expect(!allowed("/web/config.json") && !allowed("/web/metadata") && !allowed("/schema"))
        // A browser's WebSocket carries the token as a subprotocol: the token's bytes in hex.
        let hex = "tok+/=en".utf8.map { String($0, radix: 16) }.joined()
        #expect(hex == "746f6b2b2f3d656e")
        #expect(allowed("/ws", [("Sec-WebSocket-Protocol", "openenv, openenv.bearer.\(hex)")], webSocket: true))
        #expect(!allowed("/ws", [("Sec-WebSocket-Protocol", "openenv, openenv.bearer.\(hex)")]))  // plain HTTP: header only
        #expect(!allowed("/ws", [("Sec-WebSocket-Protocol", "openenv, openenv.bearer.746f6b")], webSocket: true))
        #expect(!allowed("/ws", [("Sec-WebSocket-Protocol", "openenv, openenv.bearer.zz")], webSocket: true))
        #expect(AccessGate.offersWebSocketProtocol(HTTPHeaders([("Sec-WebSocket-Protocol", "x, openenv")])))
        #expect(!AccessGate.offersWebSocketProtocol(HTTPHeaders([("Sec-WebSocket-Protocol", "openenv.bearer.00")])))
    }

    @Test func theHintTellsThePageThatATokenIsNeeded() throws {
        var configuration = Self.withPage
        configuration.accessTokens = try AccessTokens(parsing: "secret\n")
        let body = String(decoding: WebRoutes(factory: EnvironmentFactory { GridEnvironment() }, configuration: configuration, registry: nil).pageResponse.body, as: UTF8.self)
        #expect(body.contains(#"<script type="application/json" id="hints">{"auth":true} </script>"#))
        #expect(!body.contains("secret"))
    }
}
