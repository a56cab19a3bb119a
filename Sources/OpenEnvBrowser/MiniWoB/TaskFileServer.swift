import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A read-only HTTP file server on 127.0.0.1 for the task pages (the MiniWoB++ `html`
/// folder): `GET`/`HEAD` of files under the root, nothing else. Paths with `..`, hidden
/// names or symlinks out of the root are refused. One per server process, shared by every
/// session (each session's browser context keeps its own cookies and storage).
final class TaskFileServer: Sendable {
    let root: String
    let port: Int
    private let channel: any Channel

    private init(root: String, port: Int, channel: any Channel) {
        self.root = root
        self.port = port
        self.channel = channel
    }

    var origin: String { "http://127.0.0.1:\(port)" }

    static func start(root: String) async throws -> TaskFileServer {
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(FileHandler(root: resolvedRoot))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw BrowserError.startFailed("the task server has no port") }
        return TaskFileServer(root: resolvedRoot, port: port, channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    /// The file for a request path, if it is one the server may serve.
    static func file(for path: String, root: String) -> String? {
        let clean = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard let decoded = clean.removingPercentEncoding, decoded.hasPrefix("/") else { return nil }
        let parts = decoded.split(separator: "/")
        guard !parts.isEmpty, !parts.contains(where: { $0.hasPrefix(".") || $0.contains("\0") }) else { return nil }
        let candidate = URL(fileURLWithPath: root + "/" + parts.joined(separator: "/")).resolvingSymlinksInPath().path
        guard candidate.hasPrefix(root + "/") else { return nil }
        var info = stat()
        guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return candidate
    }

    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html", "htm": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "svg": "image/svg+xml"
        case "woff": "font/woff"
        case "woff2": "font/woff2"
        case "ttf": "font/ttf"
        default: "application/octet-stream"
        }
    }
}

private final class FileHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let root: String
    private var head: HTTPRequestHead?

    init(root: String) { self.root = root }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break
        case .end:
            guard let request = head else { return }
            head = nil
            respond(context: context, request: request)
        }
    }

    private func respond(context: ChannelHandlerContext, request: HTTPRequestHead) {
        var status = HTTPResponseStatus.ok
        var body = context.channel.allocator.buffer(capacity: 0)
        var headers = HTTPHeaders()
        if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
        } else if let file = TaskFileServer.file(for: request.uri, root: root), let data = FileManager.default.contents(atPath: file) {
            headers.add(name: "Content-Type", value: TaskFileServer.contentType(file))
            headers.add(name: "Cache-Control", value: "no-store")
            if request.method == .GET { body.writeBytes(data) }
            headers.add(name: "Content-Length", value: String(data.count))
        } else {
            status = .notFound
        }
        if status != .ok { headers.add(name: "Content-Length", value: "0") }
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
