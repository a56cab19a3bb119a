import NIOCore
import OpenEnvCore
import Synchronization

/// The gateway's backends, their measured load, and which sessions each one carries.
///
/// - **Routing**: a new session goes to the *routable* backend (listed, up, not draining, a
///   free slot) with the lowest load ÷ capacity. The load is the backend's own
///   `active_sessions` from its last `GET /ready`, moved by one at once for every session the
///   gateway opens or closes there, so a burst of connections spreads before the next poll.
///   A poll never undoes that: its answer counts the sessions reserved after it was sent on
///   top (the backend may not have seen them yet), and never less than the sessions this
///   gateway holds there (reserved and not yet released).
///   No routable backend with a free slot: the caller answers `CAPACITY_REACHED`.
/// - **Pinning**: a WebSocket relay is tracked under its backend for its whole life; an HTTP
///   session (`openenv/session/create`) is pinned to the backend that created it until
///   `openenv/session/close` or its backend dies.
/// - **Death**: `failuresBeforeDown` failed polls in a row mark a backend down. Exactly the
///   sessions it carried are failed: its relays are closed with the cause (each client gets
///   an error frame), its HTTP sessions are remembered as *lost* (a later request names the
///   cause instead of "unknown session"). A backend that answers again is routable again; the
///   sessions it lost stay lost.
/// - **Registration**: ``replace(with:)`` makes a list the complete set. A backend that left
///   the list takes no new sessions but keeps its open ones (and is still polled) until they
///   end; then it is forgotten.
///
/// Thread-safe (one lock); channels it hands back are closed by the caller, never under it.
package final class BackendPool: Sendable {
    /// A backend as routing sees it: its registration and the serial number that tells two
    /// registrations of the same address apart.
    package struct Backend: Sendable, Hashable {
        package let serial: Int
        package let address: BackendAddress
    }

    /// Where an HTTP request naming a session goes.
    package enum SessionRoute: Sendable {
        case pinned(Backend)
        /// Its backend died: the message says which and why.
        case lost(String)
        /// Never seen (or closed): any backend answers the reference's "unknown session".
        case unknown
    }

    /// What a poll found.
    package enum Probe: Sendable {
        /// `active` `nil`: the backend does not say (no `/ready`); the gateway's own count stands.
        case ready(active: Int?, max: Int?, draining: Bool)
        case failed(String)
    }

    private struct Entry {
        let backend: Backend
        var listed = true
        var up = false
        var failures = 0
        var active = 0
        /// Sessions ever reserved here: a poll's ``PollTicket`` remembers it, so the answer
        /// can add the reservations made while the poll was on its way.
        var reservations = 0
        /// Slots taken by ``reserve()`` and not yet given back by ``release(_:)``.
        var held = 0
        var max: Int?
        var draining = false
        /// A connection to it just failed: no new sessions until a poll succeeds again.
        var suspect = false
        var relays: [ObjectIdentifier: any Channel] = [:]
        var httpSessions: Set<String> = []
        var lastError: String?

        var routable: Bool { listed && up && !draining && !suspect }
        var hasRoom: Bool { max.map { active < $0 } ?? true }
        var ratio: Double { Double(active) / Double(max ?? Int.max) }
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextSerial = 0
        var pinned: [String: Int] = [:]
        var lost: [String: String] = [:]
    }

    /// At most this many lost HTTP session ids are remembered (then the oldest half go).
    static let lostLimit = 100_000

    private let state = Mutex(State())
    private let failuresBeforeDown: Int

    package init(_ addresses: [BackendAddress], failuresBeforeDown: Int) {
        self.failuresBeforeDown = failuresBeforeDown
        _ = replace(with: addresses)
    }

    /// Makes `addresses` the complete set; returns the backends that are new (poll them
    /// before routing to them).
    @discardableResult
    package func replace(with addresses: [BackendAddress]) -> [Backend] {
        state.withLock { state in
            let wanted = Set(addresses)
            var present = Set<BackendAddress>()
            for (serial, entry) in state.entries {
                if wanted.contains(entry.backend.address) {
                    state.entries[serial]!.listed = true
                    present.insert(entry.backend.address)
                } else {
                    state.entries[serial]!.listed = false
                    Self.forgetIfIdle(serial, in: &state)
                }
            }
            var added: [Backend] = []
            for address in addresses where !present.contains(address) {
                present.insert(address)
                let backend = Backend(serial: state.nextSerial, address: address)
                state.nextSerial += 1
                state.entries[backend.serial] = Entry(backend: backend)
                added.append(backend)
            }
            return added
        }
    }

    /// Every backend still known (listed, or unlisted with sessions): what the monitor polls.
    package var all: [Backend] { state.withLock { $0.entries.values.map(\.backend).sorted { $0.serial < $1.serial } } }

    /// Takes a slot on the least-loaded routable backend, or returns the summed capacity of
    /// the routable ones when none has a free slot.
    package func reserve() -> Result<Backend, Capacity> {
        state.withLock { state in
            var best: Int?
            for (serial, entry) in state.entries where entry.routable && entry.hasRoom {
                guard let b = best, let current = state.entries[b] else { best = serial; continue }
                if (entry.ratio, entry.active, serial) < (current.ratio, current.active, b) { best = serial }
            }
            guard let best else { return .failure(Self.capacity(state)) }
            state.entries[best]!.active += 1
            state.entries[best]!.reservations += 1
            state.entries[best]!.held += 1
            return .success(state.entries[best]!.backend)
        }
    }

    /// Gives back a slot taken by ``reserve()`` (the session ended, or never started).
    package func release(_ backend: Backend) {
        state.withLock { state in
            guard state.entries[backend.serial] != nil else { return }
            state.entries[backend.serial]!.active = max(0, state.entries[backend.serial]!.active - 1)
            state.entries[backend.serial]!.held = max(0, state.entries[backend.serial]!.held - 1)
        }
    }

    /// A connection to `backend` failed before any session existed on it: it gets no new
    /// sessions until its next successful poll (its open sessions are left alone: the poll
    /// decides whether it is dead).
    package func connectionFailed(_ backend: Backend) {
        state.withLock { state in
            guard state.entries[backend.serial] != nil else { return }
            state.entries[backend.serial]!.suspect = true
        }
    }

    /// The least-loaded backend that is up (full or not): for requests that open no session.
    package func any() -> Backend? {
        state.withLock { state in
            let candidates = state.entries.values.filter { $0.up && !$0.suspect }
            let preferred = candidates.filter(\.routable)
            return (preferred.isEmpty ? candidates : preferred).min { ($0.ratio, $0.backend.serial) < ($1.ratio, $1.backend.serial) }?.backend
        }
    }

    /// Summed `active_sessions` and `max_sessions` of the routable backends (`max` is `nil`
    /// when one of them does not say).
    package struct Capacity: Error, Sendable, Equatable {
        package var active: Int
        package var max: Int?
        package var routable: Int
    }

    package var capacity: Capacity { state.withLock { Self.capacity($0) } }

    private static func capacity(_ state: State) -> Capacity {
        var result = Capacity(active: 0, max: 0, routable: 0)
        for entry in state.entries.values where entry.routable {
            result.routable += 1
            result.active += entry.active
            result.max = entry.max.flatMap { m in result.max.map { $0 + m } }
        }
        return result
    }

    // MARK: WebSocket relays

    /// Records a relay's backend-side channel; `false` when the backend is already down or
    /// gone (the caller closes it).
    package func track(_ channel: any Channel, on backend: Backend) -> Bool {
        state.withLock { state in
            guard state.entries[backend.serial]?.up == true else { return false }
            state.entries[backend.serial]!.relays[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    package func untrack(_ channel: any Channel, on backend: Backend) {
        state.withLock { state in
            guard state.entries[backend.serial] != nil else { return }
            state.entries[backend.serial]!.relays[ObjectIdentifier(channel)] = nil
            Self.forgetIfIdle(backend.serial, in: &state)
        }
    }

    /// Relays open on every backend.
    package var relayCount: Int { state.withLock { $0.entries.values.reduce(0) { $0 + $1.relays.count } } }

    /// Hands over (and forgets) the relays of `backend`, to fail them.
    package func takeRelays(of backend: Backend) -> [any Channel] {
        state.withLock { state in
            guard let relays = state.entries[backend.serial]?.relays else { return [] }
            state.entries[backend.serial]!.relays = [:]
            return Array(relays.values)
        }
    }

    // MARK: HTTP sessions

    package func pin(_ session: String, to backend: Backend) {
        state.withLock { state in
            guard state.entries[backend.serial]?.up == true else {
                state.lost[session] = "backend \(backend.address) was lost while the session was created"
                return
            }
            state.pinned[session] = backend.serial
            state.entries[backend.serial]!.httpSessions.insert(session)
        }
    }

    package func unpin(_ session: String) {
        state.withLock { state in
            guard let serial = state.pinned.removeValue(forKey: session) else { return }
            state.entries[serial]?.httpSessions.remove(session)
            Self.forgetIfIdle(serial, in: &state)
        }
    }

    package func route(session: String) -> SessionRoute {
        state.withLock { state in
            if let serial = state.pinned[session], let entry = state.entries[serial] { return .pinned(entry.backend) }
            if let message = state.lost[session] { return .lost(message) }
            return .unknown
        }
    }

    // MARK: Health

    /// Taken just before a poll is sent: what the backend may already know of.
    package struct PollTicket: Sendable {
        fileprivate let reservations: Int
    }

    package func ticket(for backend: Backend) -> PollTicket {
        PollTicket(reservations: state.withLock { $0.entries[backend.serial]?.reservations ?? 0 })
    }

    /// Applies a poll's result (`ticket` taken before it was sent). When it takes the backend
    /// down, returns the relays it carried (the caller fails them with the returned cause).
    package func record(
        _ probe: Probe, for backend: Backend, ticket: PollTicket
    ) -> (relays: [any Channel], cause: String)? {
        state.withLock { state -> (relays: [any Channel], cause: String)? in
            guard var entry = state.entries[backend.serial] else { return nil }
            defer { state.entries[backend.serial] = entry; Self.forgetIfIdle(backend.serial, in: &state) }
            switch probe {
            case .ready(let active, let max, let draining):
                entry.failures = 0
                entry.up = true
                entry.suspect = false
                // Reserved after the poll was sent: possibly not in the backend's count yet.
                if let active { entry.active = Swift.max(active + Swift.max(0, entry.reservations - ticket.reservations), entry.held) }
                entry.max = max
                entry.draining = draining
                entry.lastError = nil
                return nil
            case .failed(let reason):
                entry.failures += 1
                entry.lastError = reason
                guard entry.up, entry.failures >= failuresBeforeDown else { return nil }
                entry.up = false
                entry.active = 0
                let cause = "backend \(backend.address) stopped answering its health checks (\(reason))"
                for session in entry.httpSessions {
                    state.pinned[session] = nil
                    if state.lost.count >= Self.lostLimit { state.lost = state.lost.filter { _ in Bool.random() } }
                    state.lost[session] = "session \(session) was lost: \(cause)"
                }
                entry.httpSessions = []
                let relays = Array(entry.relays.values)
                entry.relays = [:]
                return (relays, cause)
            }
        }
    }

    /// A delisted backend with nothing left to carry is forgotten.
    private static func forgetIfIdle(_ serial: Int, in state: inout State) {
        guard let entry = state.entries[serial], !entry.listed, entry.relays.isEmpty, entry.httpSessions.isEmpty else { return }
        state.entries[serial] = nil
    }

    /// What `GET /admin/backends` and `GET /ready` show.
    package var snapshot: [JSONValue] {
        state.withLock { state in
            state.entries.values.sorted { $0.backend.serial < $1.backend.serial }.map { entry in
                var object: JSONObject = [
                    "id": .string(entry.backend.address.id), "url": .string(entry.backend.address.url),
                    "listed": .bool(entry.listed), "up": .bool(entry.up), "draining": .bool(entry.draining),
                    "active_sessions": .int(entry.active), "websocket_sessions": .int(entry.relays.count),
                    "http_sessions": .int(entry.httpSessions.count),
                ]
                object["max_sessions"] = entry.max.map { .int($0) } ?? .null
                if let error = entry.lastError { object["last_error"] = .string(error) }
                return .object(object)
            }
        }
    }
}
