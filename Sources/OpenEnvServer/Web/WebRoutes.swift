import OpenEnvCore

/// The browser page of every server (``ServerConfiguration/webInterface``): `GET /web/`
/// answers one self-contained HTML file (its CSS and JavaScript inline, no external
/// request, compiled into the binary from `Web/WebPage.html`); `GET /` and `GET /web`
/// redirect there with 307, as the reference's web UI does; `GET /web/config.json` tells
/// the page what the environment offers, so it never calls a route that would answer 404
/// or 501; `GET /web/metadata` is `/metadata` with the README of
/// ``ServerConfiguration/webReadme`` when one is set (the reference's route of that name).
///
/// The page drives the environment through the ordinary routes only (`/metadata`,
/// `/schema`, one `/ws` session per tab, the Task API), with the same tokens as any client:
/// `/`, `/web` and `/web/` are open, `/web/config.json` and everything after need the token
/// (the page sends it as `Authorization: Bearer` and, on `/ws`, as a subprotocol; see
/// ``AccessGate``). The reference's `/web/reset`, `/web/step`, `/web/state` and `/ws/ui`
/// (one environment shared by every browser) are not served (docs/compatibility.md).
struct WebRoutes: Sendable {
    let factory: EnvironmentFactory
    let configuration: ServerConfiguration
    /// Asked once, by the first `/web/config.json`, whether the Task API answers (an
    /// environment type may offer it while an instance has no tasks, as `coding` without a
    /// taskset does: its Task API routes answer 501).
    let registry: SessionRegistry?

    /// Paths served without a token when tokens are configured.
    static let openPaths: Set<String> = ["/", "/web", "/web/"]

    /// The page's bytes as compiled in.
    static var page: [UInt8] { PackageResources.WebPage_html }

    /// Where the page's hint goes: the page reads `{"auth": true}` there before anything else.
    static let hintMarker = Array("{\"auth\":false}".utf8)

    func register(on router: inout HTTPRouter) {
        var redirect = HTTPResponse(status: .temporaryRedirect, contentType: "text/plain; charset=utf-8", body: [])
        redirect.headers = [("location", "/web/")]
        router.add(.GET, "/", .constant(redirect))
        router.add(.GET, "/web", .constant(redirect))
        router.add(.GET, "/web/", .constant(pageResponse))
        let tasks = TaskAvailability()
        router.get("/web/config.json") { _, _ in .json(capabilities(tasks: await tasks.value(registry: registry, factory: factory))) }
        router.add(.GET, "/web/metadata", .constant(.json(metadata)))
    }

    /// The page with its one server-side hint filled in: whether a token is needed.
    var pageResponse: HTTPResponse {
        var body = Self.page
        if configuration.accessTokens != nil, let range = Self.range(of: Self.hintMarker, in: body) {
            body.replaceSubrange(range, with: Array("{\"auth\":true} ".utf8))
        }
        var response = HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", body: body)
        response.headers = [
            ("cache-control", "no-cache"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
            // Everything is inline or same-origin; nothing from the environment becomes markup.
            ("content-security-policy",
             "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ]
        return response
    }

    /// What the page may call: tools (JSON-RPC over `/ws`), MCP actions through `step`, the
    /// Task API, HTTP simulation routes.
    func capabilities(tasks: Bool) -> JSONValue {
        [
            "env_name": .string(factory.info.envName),
            "mode": .string(configuration.mode.rawValue),
            "tools": .bool(factory.providesTools),
            "mcp_actions": .bool(factory.acceptsMCPActions),
            "tasks": .bool(tasks),
            "max_message_size": .int(configuration.maxMessageSize),
        ]
    }

    /// `/metadata`, with ``ServerConfiguration/webReadme`` as `readme_content` when set.
    var metadata: JSONValue {
        guard let readme = configuration.webReadme, case .object(var object) = factory.info.metadataJSON else {
            return factory.info.metadataJSON
        }
        object["readme_content"] = .string(readme)
        return .object(object)
    }

    private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start..<(start + needle.count) }
        }
        return nil
    }
}

/// Whether an instance of the environment answers the Task API, found out once with a
/// temporary instance (as every Task API call makes one) and then remembered.
private actor TaskAvailability {
    private var known: Bool?

    func value(registry: SessionRegistry?, factory: EnvironmentFactory) async -> Bool {
        if let known { return known }
        guard factory.providesTasks, let registry else { known = false; return false }
        let answer = (try? await registry.call(.temporary, countsAsActivity: false) { environment -> Bool in
            guard let provider = environment.tasks else { return false }
            return try await !provider.listSplits().isEmpty
        }) ?? false
        known = answer
        return answer
    }
}
