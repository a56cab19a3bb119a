import Hummingbird
import OpenEnvCore

/// Shapes the router's own errors as FastAPI does: unknown paths are
/// `404 {"detail":"Not Found"}`, a known path with the wrong method is
/// `405 {"detail":"Method Not Allowed"}`, and an oversized body is a `413`.
struct FastAPIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Paths the router serves, mapped to their methods (for 405 versus 404).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                if routes.knowsPath(request.uri.path) { return .detail("Method Not Allowed", status: .methodNotAllowed) }
                return .detail("Not Found", status: .notFound)
            case .contentTooLarge:
                return .detail("Request body too large", status: .contentTooLarge)
            default:
                return .detail(.string(error.body ?? error.status.reasonPhrase), status: error.status)
            }
        }
    }
}

/// The paths a server serves, including the Task API's two-segment patterns.
struct RouteTable: Sendable {
    var exact: Set<String>
    var taskSuffixes: Set<String>

    func knowsPath(_ path: String) -> Bool {
        if exact.contains(path) { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].isEmpty && !parts[1].isEmpty && taskSuffixes.contains(String(parts[2]))
    }
}
