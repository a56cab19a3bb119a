import Foundation
import Logging
import OpenEnvCore

/// The browser of one server: one Chromium process and one DevTools socket shared by every
/// session (each session gets its own browser context, see ``BrowserPage``), plus the task
/// file server. Chromium starts with the first session and is started again, for the next
/// session that asks, after it died: sessions of a dead browser fail with
/// ``BrowserError/browserLost(_:)`` until they reset.
public actor BrowserHost {
    public let configuration: BrowserConfiguration
    let tasks: MiniWoBTasks
    private let logger = Logger(label: "openenv.browser")
    private var chromium: ChromiumProcess?
    private var connection: CDPConnection?
    private var starting: Task<(ChromiumProcess, CDPConnection), any Error>?
    private var fileServer: TaskFileServer?
    /// Bumped each time a browser starts: a page remembers the generation it was made in.
    private(set) var generation = 0

    public init(configuration: BrowserConfiguration) throws {
        self.configuration = configuration
        tasks = try MiniWoBTasks.locate(configured: configuration.miniwobDirectory)
    }

    /// The task server's origin (`http://127.0.0.1:PORT`), starting it if needed.
    func taskOrigin() async throws -> String {
        if let fileServer { return fileServer.origin }
        let server = try await TaskFileServer.start(root: tasks.root)
        fileServer = server
        return server.origin
    }

    /// The live browser, started (again) if needed.
    func browser() async throws -> (CDPConnection, Int) {
        if let connection, let chromium, chromium.isRunning { return (connection, generation) }
        if let starting { return (try await starting.value.1, generation) }
        if let old = chromium {
            chromium = nil
            connection = nil
            await old.stop()
        }
        let configuration = configuration
        let logger = logger
        let task = Task { () throws -> (ChromiumProcess, CDPConnection) in
            let process = try await ChromiumProcess.launch(configuration, proxyLocked: configuration.allowedOrigins.isEmpty)
            do {
                let connection = try await CDPConnection.connect(url: process.devToolsURL, logger: logger) { [weak self] reason in
                    Task { await self?.lost(reason) }
                }
                return (process, connection)
            } catch {
                await process.stop()
                throw BrowserError.startFailed("cannot reach Chromium's DevTools socket: \(error)")
            }
        }
        starting = task
        defer { starting = nil }
        let (process, connection) = try await task.value
        chromium = process
        self.connection = connection
        generation += 1
        logger.info("Chromium started", metadata: ["pid": "\(process.pid)", "uid": "\(process.uid)"])
        return (connection, generation)
    }

    /// Whether pages of `generation` can still be used.
    func isAlive(_ generation: Int) -> Bool {
        generation == self.generation && connection != nil && (chromium?.isRunning ?? false)
    }

    private func lost(_ reason: String) {
        guard connection != nil else { return }
        logger.warning("the browser went away", metadata: ["reason": "\(reason)"])
        connection = nil
    }

    /// Stops Chromium and the task server.
    public func shutdown() async {
        await connection?.close()
        connection = nil
        if let chromium { await chromium.stop() }
        chromium = nil
        await fileServer?.stop()
        fileServer = nil
    }

    /// The pid of the running Chromium's reaper (tests look for its processes).
    public var browserPID: Int32? { chromium?.pid }

    /// What must hold before a server starts: root (to start Chromium as its own uid),
    /// Chromium, unprivileged user namespaces (Chromium's sandbox), the MiniWoB++ pages.
    public static func verify(_ configuration: BrowserConfiguration) throws {
        guard geteuid() == 0 else {
            throw BrowserError.unavailable("the server must run as root: Chromium runs under its own unprivileged uid (\(configuration.firstUID)..<\(configuration.firstUID + configuration.uidCount)), and only root can switch to it")
        }
        guard access(configuration.chromiumPath, X_OK) == 0 else {
            throw BrowserError.unavailable("no Chromium at \(configuration.chromiumPath): install the Debian package `chromium` (apt-get install -y chromium), or set OPENENV_BROWSER_CHROMIUM")
        }
        if let text = try? String(contentsOfFile: "/proc/sys/kernel/unprivileged_userns_clone", encoding: .utf8),
           text.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
            throw BrowserError.unavailable("kernel.unprivileged_userns_clone is 0: Chromium's sandbox needs unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1); it is never run without its sandbox")
        }
        if let text = try? String(contentsOfFile: "/proc/sys/user/max_user_namespaces", encoding: .utf8),
           text.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
            throw BrowserError.unavailable("user.max_user_namespaces is 0: Chromium's sandbox needs user namespaces; it is never run without its sandbox")
        }
        for (path, mode) in [(configuration.stateDirectory, mode_t(0o711)), (configuration.stateDirectory + "/locks", 0o700), (configuration.stateDirectory + "/profiles", 0o711)] {
            if mkdir(path, mode) != 0 && errno != EEXIST {
                throw BrowserError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == 0, chmod(path, mode) == 0 else {
                throw BrowserError.unavailable("\(path) must be a directory owned by root (not a symlink)")
            }
        }
        _ = try MiniWoBTasks.locate(configured: configuration.miniwobDirectory)
    }
}
