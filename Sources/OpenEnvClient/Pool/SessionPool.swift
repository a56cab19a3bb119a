import OpenEnvCore

/// N independent sessions, on one server or spread over several, driven as a batch: a
/// vectorised environment for rollouts.
///
/// Batch calls run on every session at once and return one `Result` per session, in
/// session order. A failing session never fails the batch: its error (a server error, a
/// lost session, a capacity refusal) is its own result, and the other sessions carry on.
/// A lost session stays lost until ``reconnect(_:backoff:)`` gives it a fresh one.
///
/// ```swift
/// let pool = try await SessionPool<GridEnvironment.Action, GridEnvironment.Observation, GridEnvironment.State>
///     .connect(to: [swiftServer, pythonServer], sessionsPerServer: 4)
/// let starts = await pool.reset(seeds: Array(0..<pool.count))
/// let steps = await pool.step(Array(repeating: .init(.right), count: pool.count))
/// await pool.close()
/// ```
public actor SessionPool<Action: Encodable & Sendable, Observation: Decodable & Sendable, State: Decodable & Sendable> {
    public typealias Client = EnvClient<Action, Observation, State>
    public typealias Outcome<Value> = Result<Value, any Error>

    /// The sessions, in order; session `i` of a batch is `clients[i]`.
    public nonisolated let clients: [Client]
    public nonisolated var count: Int { clients.count }

    /// A pool over clients that are already connected. The pool closes them in ``close()``.
    public init(clients: [Client]) {
        self.clients = clients
    }

    /// Opens `sessionsPerServer` sessions on each server, all at once. Session `i` is on
    /// `addresses[i % addresses.count]`, so consecutive sessions alternate between
    /// servers. If any session cannot be opened, the ones that were are closed and the
    /// first error is thrown. (A capacity refusal on `/ws` only shows on the first call,
    /// as a per-session result.)
    public static func connect(
        to addresses: [ServerAddress], sessionsPerServer: Int, transport: Transport = .webSocket,
        configuration: ClientConfiguration = ClientConfiguration()
    ) async throws -> SessionPool {
        let total = addresses.count * sessionsPerServer
        let opened = await withTaskGroup(of: (Int, Outcome<Client>).self) { group in
            for index in 0..<total {
                let address = addresses[index % addresses.count]
                group.addTask {
                    do {
                        return (index, .success(try await Client.connect(to: address, transport: transport, configuration: configuration)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Outcome<Client>?](repeating: nil, count: total)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        var clients: [Client] = []
        var firstError: (any Error)?
        for result in opened {
            switch result {
            case .success(let client): clients.append(client)
            case .failure(let error): firstError = firstError ?? error
            }
        }
        if let firstError {
            for client in clients { await client.close() }
            throw firstError
        }
        return SessionPool(clients: clients)
    }

    /// Resets every session; `seeds[i]` (when given) seeds session `i`, `episodeIDs[i]`
    /// names its episode.
    public func reset(seeds: [Int?]? = nil, episodeIDs: [String?]? = nil, options: JSONObject = [:]) async -> [Outcome<StepResult<Observation>>] {
        precondition(seeds.map { $0.count == count } ?? true, "one seed per session")
        precondition(episodeIDs.map { $0.count == count } ?? true, "one episode id per session")
        return await Self.run(on: clients, indices: Array(0..<count)) { index, client in
            try await client.reset(seed: seeds?[index] ?? nil, episodeID: episodeIDs?[index] ?? nil, options: options)
        }
    }

    /// Steps every session: `actions[i]` goes to session `i`.
    public func step(_ actions: [Action]) async -> [Outcome<StepResult<Observation>>] {
        precondition(actions.count == count, "one action per session")
        return await Self.run(on: clients, indices: Array(0..<count)) { index, client in try await client.step(actions[index]) }
    }

    /// Steps only the sessions named in `actions` (e.g. those whose episode is still
    /// running); the result has an entry for each of them.
    public func step(_ actions: [Int: Action]) async -> [Int: Outcome<StepResult<Observation>>] {
        let indices = actions.keys.sorted()
        let results = await Self.run(on: clients, indices: indices) { index, client in try await client.step(actions[index]!) }
        return Dictionary(uniqueKeysWithValues: zip(indices, results))
    }

    /// Every session's state.
    public func states() async -> [Outcome<State>] {
        await Self.run(on: clients, indices: Array(0..<count)) { _, client in try await client.state() }
    }

    /// Gives session `index` a fresh server session (see
    /// ``EnvClient/reconnectToFreshSession(backoff:)``).
    @discardableResult
    public func reconnect(_ index: Int, backoff: Backoff = Backoff()) async throws -> FreshSession {
        try await clients[index].reconnectToFreshSession(backoff: backoff)
    }

    /// Closes every session.
    public func close() async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.close() } }
        }
    }

    private static func run<Value: Sendable>(
        on clients: [Client], indices: [Int], _ body: @escaping @Sendable (Int, Client) async throws -> Value
    ) async -> [Outcome<Value>] {
        await withTaskGroup(of: (Int, Outcome<Value>).self) { group in
            for (position, index) in indices.enumerated() {
                let client = clients[index]
                group.addTask {
                    do { return (position, .success(try await body(index, client))) } catch { return (position, .failure(error)) }
                }
            }
            var results = [Outcome<Value>?](repeating: nil, count: indices.count)
            for await (position, result) in group { results[position] = result }
            return results.map { $0! }
        }
    }
}
