import Foundation
import OpenEnvCore
import Synchronization

/// An action the page refused (no such bid, not fillable, a blocked URL): reported to the
/// agent as `last_action_error`, the episode goes on.
struct ActionFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One session's page: its own browser context (`Target.createBrowserContext`: cookies,
/// storage, cache and pages apart from every other session's) with one page target,
/// reached through a flattened DevTools session.
///
/// Every request of a page not from an allowed origin (the task server's, plus
/// ``BrowserConfiguration/allowedOrigins``) is failed by the Fetch domain before it leaves
/// the browser; `javascript:`, `file:` and other schemes cannot be navigated to. A renderer
/// crash (`Inspector.targetCrashed`) or a call that gets no answer within the action
/// timeout makes the page lost: every later call throws ``BrowserError/pageLost(_:)``
/// and the session must reset, which makes a new context.
final class BrowserPage: Sendable {
    let context: String
    let target: String
    let session: String
    let generation: Int
    private let connection: CDPConnection
    private let host: BrowserHost
    private let timeout: Duration
    private let lostReason = Mutex<String?>(nil)
    private let origins: Set<String>

    static let script: String = {
        guard let url = Bundle.module.url(forResource: "page", withExtension: "js", subdirectory: "Page"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("OpenEnvBrowser's resource Page/page.js is missing (keep the resource bundle beside the executable)") }
        return text
    }()

    private init(context: String, target: String, session: String, generation: Int, connection: CDPConnection, host: BrowserHost,
                 timeout: Duration, origins: Set<String>) {
        self.context = context
        self.target = target
        self.session = session
        self.generation = generation
        self.connection = connection
        self.host = host
        self.timeout = timeout
        self.origins = origins
    }

    static func open(host: BrowserHost) async throws -> BrowserPage {
        let (connection, generation) = try await host.browser()
        let configuration = host.configuration
        var origins = Set(configuration.allowedOrigins)
        origins.insert(try await host.taskOrigin())
        let timeout = configuration.actionTimeout
        do {
            let context = try await connection.send("Target.createBrowserContext", ["disposeOnDetach": true], timeout: timeout)["browserContextId"]?.stringValue ?? ""
            let target = try await connection.send("Target.createTarget", ["url": "about:blank", "browserContextId": .string(context)], timeout: timeout)["targetId"]?.stringValue ?? ""
            let session = try await connection.send("Target.attachToTarget", ["targetId": .string(target), "flatten": true], timeout: timeout)["sessionId"]?.stringValue ?? ""
            let page = BrowserPage(context: context, target: target, session: session, generation: generation, connection: connection,
                                   host: host, timeout: timeout, origins: origins)
            await connection.setHandler({ [weak page] method, params in page?.event(method, params) }, for: session)
            try await page.call("Page.enable")
            try await page.call("Inspector.enable")
            try await page.call("Fetch.enable", ["patterns": [["urlPattern": "*", "requestStage": "Request"]]])
            try await page.call("Emulation.setDeviceMetricsOverride", [
                "width": .int(configuration.viewportWidth), "height": .int(configuration.viewportHeight), "deviceScaleFactor": 1, "mobile": false])
            return page
        } catch let error as CDPError {
            throw BrowserError.startFailed("cannot open a page: \(error)")
        }
    }

    /// Closes the context and its pages; never throws.
    func close() async {
        await connection.setHandler(nil, for: session)
        _ = try? await connection.send("Target.disposeBrowserContext", ["browserContextId": .string(context)], timeout: .seconds(10))
    }

    /// Why the page cannot be used any more, if it cannot.
    func lost() async -> String? {
        if let reason = lostReason.withLock({ $0 }) { return reason }
        if await !host.isAlive(generation) { return "the browser process ended" }
        return nil
    }

    private func markLost(_ reason: String) {
        lostReason.withLock { if $0 == nil { $0 = reason } }
    }

    // MARK: Events

    private func event(_ method: String, _ params: JSONObject) {
        switch method {
        case "Inspector.targetCrashed":
            markLost("its renderer crashed")
        case "Fetch.requestPaused":
            guard let id = params["requestId"]?.stringValue else { return }
            let url = params["request"]?["url"]?.stringValue ?? ""
            let allowed = isAllowed(url)
            let connection = connection
            let session = session
            Task {
                if allowed {
                    _ = try? await connection.send("Fetch.continueRequest", ["requestId": .string(id)], session: session)
                } else {
                    _ = try? await connection.send("Fetch.failRequest", ["requestId": .string(id), "errorReason": "BlockedByClient"], session: session)
                }
            }
        case "Page.javascriptDialogOpening":
            let connection = connection
            let session = session
            Task { _ = try? await connection.send("Page.handleJavaScriptDialog", ["accept": true], session: session) }
        default:
            break
        }
    }

    /// `data:`/`blob:`/`about:` URLs stay inside the page; http(s) only to allowed origins.
    func isAllowed(_ url: String) -> Bool {
        let lower = url.lowercased()
        if lower.hasPrefix("data:") || lower.hasPrefix("blob:") || lower.hasPrefix("about:") { return true }
        guard let origin = try? BrowserConfiguration.normalizedOrigin(Self.origin(of: url)) else { return false }
        return origins.contains(origin)
    }

    static func origin(of url: String) -> String {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else { return url }
        return "\(scheme)://\(host)" + (parsed.port.map { ":\($0)" } ?? "")
    }

    // MARK: Calls

    /// One DevTools command to this page. A timeout makes the page lost.
    @discardableResult
    func call(_ method: String, _ params: JSONObject = [:]) async throws -> JSONObject {
        if let reason = await lost() { throw BrowserError.pageLost(reason) }
        do {
            return try await connection.send(method, params, session: session, timeout: timeout)
        } catch let error as CDPError {
            switch error.kind {
            case .timeout:
                markLost("no answer within \(timeout): the page hung")
                _ = try? await connection.send("Target.closeTarget", ["targetId": .string(target)], timeout: .seconds(5))
                throw BrowserError.pageLost("no answer within \(timeout): the page hung")
            case .disconnected:
                throw BrowserError.browserLost(error.description)
            case .protocolError:
                if let reason = await lost() { throw BrowserError.pageLost(reason) }
                throw error
            }
        }
    }

    /// Runs one helper of page.js in the page; a helper's `{error}` becomes ``ActionFailure``.
    func helper(_ op: String, _ args: JSONValue = .object([:])) async throws -> JSONValue {
        let expression = "(function (op, args) {\n\(Self.script)\n})(\(JSONWriter().string(.string(op))), \(JSONWriter().string(args)))"
        let result = try await call("Runtime.evaluate", ["expression": .string(expression), "returnByValue": true, "awaitPromise": true])
        if let details = result["exceptionDetails"]?.objectValue {
            let text = details["exception"]?["description"]?.stringValue ?? details["text"]?.stringValue ?? "exception"
            throw ActionFailure("Error: \(text)")
        }
        let value = result["result"]?["value"] ?? .null
        if let message = value["error"]?.stringValue { throw ActionFailure("Error: \(message)") }
        return value
    }

    /// The viewport as `[height][width][r, g, b]` (BrowserGym's screenshot): Chromium's PNG,
    /// decoded by the page's own image decoder (page.js `pixels`).
    func screenshot() async throws -> [[[Int]]] {
        let png = try await call("Page.captureScreenshot", ["format": "png"])["data"]?.stringValue ?? ""
        guard let rows = try await helper("pixels", ["png": .string(png)]).arrayValue else { return [] }
        return rows.map { row in (row.arrayValue ?? []).map { pixel in (pixel.arrayValue ?? []).map { $0.intValue ?? 0 } } }
    }

    /// Navigates and waits for the page's load to complete.
    func navigate(_ url: String) async throws {
        guard isAllowed(url), url.lowercased().hasPrefix("http") else {
            throw ActionFailure("Error: navigation to \(url) is not allowed (only the task server\(origins.count > 1 ? " and the allowed origins" : ""))")
        }
        let result = try await call("Page.navigate", ["url": .string(url)])
        if let text = result["errorText"]?.stringValue, !text.isEmpty { throw ActionFailure("Error: \(text) at \(url)") }
        try await waitLoaded()
    }

    func waitLoaded() async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await helper("readyState"))?.stringValue == "complete" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ActionFailure("Error: the page did not finish loading within \(timeout)")
    }

    func history(_ delta: Int) async throws {
        let history = try await call("Page.getNavigationHistory")
        let index = (history["currentIndex"]?.intValue ?? 0) + delta
        guard let entries = history["entries"]?.arrayValue, entries.indices.contains(index), let id = entries[index]["id"]?.intValue else {
            return  // like Playwright: nothing to go back or forward to is not an error
        }
        guard isAllowed(entries[index]["url"]?.stringValue ?? "") else { throw ActionFailure("Error: that history entry is not an allowed origin") }
        try await call("Page.navigateToHistoryEntry", ["entryId": .int(id)])
        try await waitLoaded()
    }
}
