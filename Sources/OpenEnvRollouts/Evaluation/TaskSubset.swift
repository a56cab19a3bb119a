import Foundation

/// Which tasks of a split an evaluation runs: all of them, the first N, or a slice.
public enum TaskSubset: Sendable, Hashable, CustomStringConvertible {
    case all
    /// The first N tasks (all of them when the split has fewer).
    case first(Int)
    /// `start:stop` with Python slice semantics: either bound may be left out or negative
    /// (counted from the end); bounds beyond the split are clamped.
    case slice(start: Int?, stop: Int?)

    /// Parses `all`, `N` or `START:STOP` (`5:10`, `:4`, `-3:`); `nil` for anything else.
    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "all" { self = .all; return }
        if let count = Int(text) {
            guard count >= 1 else { return nil }
            self = .first(count)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        func bound(_ part: Substring) -> Int?? { part.isEmpty ? .some(nil) : Int(part).map { .some($0) } }
        guard let start = bound(parts[0]), let stop = bound(parts[1]) else { return nil }
        self = .slice(start: start, stop: stop)
    }

    /// The task indices selected from a split of `count` tasks, ascending.
    public func indices(count: Int) -> [Int] {
        switch self {
        case .all: return Array(0..<count)
        case .first(let n): return Array(0..<min(max(n, 0), count))
        case .slice(let start, let stop):
            func clamp(_ bound: Int?, _ otherwise: Int) -> Int {
                guard let bound else { return otherwise }
                return bound < 0 ? max(0, count + bound) : min(bound, count)
            }
            let low = clamp(start, 0)
            let high = clamp(stop, count)
            return low < high ? Array(low..<high) : []
        }
    }

    /// The selection as it was given (`all`, `N`, `START:STOP`).
    public var description: String {
        switch self {
        case .all: "all"
        case .first(let n): String(n)
        case .slice(let start, let stop): (start.map(String.init) ?? "") + ":" + (stop.map(String.init) ?? "")
        }
    }
}
