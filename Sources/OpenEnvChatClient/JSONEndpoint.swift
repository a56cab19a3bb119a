import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OpenEnvCore
import OpenEnvHTTP

/// One HTTP endpoint that takes a JSON POST and answers JSON, called under a
/// ``RequestPolicy``: a deadline per attempt, retries with backoff for transient
/// failures, and a bound on requests in flight shared by every copy of the value.
package struct JSONEndpoint: Sendable {
    let url: String
    let headers: [(String, String)]
    let policy: RequestPolicy
    private let limiter: ConcurrencyLimiter

    /// Replies larger than this are refused.
    static let maxReplyBytes = 16 << 20

    package init(url: String, headers: [(String, String)], policy: RequestPolicy) throws(EndpointError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > 8 else {
            throw .invalidConfiguration("endpoint URL '\(url)' is not an http:// or https:// URL")
        }
        self.url = url
        self.headers = headers
        self.policy = policy
        limiter = ConcurrencyLimiter(limit: policy.maxConcurrentRequests)
    }

    /// POSTs `body` and returns the parsed reply, retrying transient failures; throws the
    /// failure itself when it is not retryable, ``EndpointError/gaveUp(attempts:last:)``
    /// when the attempts ran out, `CancellationError` when the task is cancelled.
    package func post(_ body: JSONValue) async throws -> JSONValue {
        let bytes = JSONWriter().bytes(body)
        var attempt = 1
        while true {
            let outcome: Result<JSONValue, EndpointError>
            var retryAfter: Duration?
            do {
                let reply = try await limiter.withPermit { try await self.attempt(bytes) }
                retryAfter = reply.retryAfter
                outcome = Self.parse(reply, url: url)
            } catch let error as EndpointError {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let value): return value
            case .failure(let error):
                guard error.isRetryable else { throw error }
                guard attempt < policy.maxAttempts else {
                    throw attempt == 1 ? error : EndpointError.gaveUp(attempts: attempt, last: error)
                }
                try await Task.sleep(for: policy.backoff(after: attempt, retryAfter: retryAfter))
                attempt += 1
            }
        }
    }

    private struct Reply: Sendable {
        var status: Int
        var body: [UInt8]
        var retryAfter: Duration?
    }

    private func attempt(_ bytes: [UInt8]) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let prepared = request
        let url = self.url
        let timeout = policy.timeout
        do {
            return try await withDeadline(timeout, {
                let response = try await HTTPClient.openEnv.execute(prepared, timeout: TimeAmount(timeout))
                let body = try await response.body.collect(upTo: Self.maxReplyBytes)
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
                return Reply(status: Int(response.status.code), body: Array(buffer: body), retryAfter: retryAfter)
            }, onTimeout: { EndpointError.timedOut(url: url, after: timeout) })
        } catch let error as EndpointError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw EndpointError.timedOut(url: url, after: timeout)
        } catch let error as HTTPClientError where [.invalidURL, .emptyHost, .emptyScheme].contains(error) {
            throw EndpointError.invalidConfiguration("endpoint URL '\(url)' is invalid: \(error)")
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            throw EndpointError.unreachable(url: url, reason: "\(error)")
        }
    }

    private static func parse(_ reply: Reply, url: String) -> Result<JSONValue, EndpointError> {
        guard (200..<300).contains(reply.status) else {
            let text = String(decoding: reply.body.prefix(512), as: UTF8.self)
            return .failure(.status(url: url, code: reply.status, body: text))
        }
        do {
            return .success(try JSONParser.parse(reply.body))
        } catch {
            return .failure(.invalidReply(url: url, reason: "the body is not JSON (\(error))"))
        }
    }
}


