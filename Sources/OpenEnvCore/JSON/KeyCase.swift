import Synchronization

/// Converts Swift property names to the wire's snake_case (`episodeID` → `episode_id`,
/// `goalRow` → `goal_row`); names that are already snake_case are returned unchanged.
///
/// The encoder and decoder both apply it to the keys of types (never to dictionary keys),
/// so one Swift declaration reads and writes the same wire name.
enum KeyCase {
    /// Conversions already made: property names are few, and converting allocates.
    private static let cache = Mutex<[String: String]>([:])

    static func snake(_ name: String) -> String {
        let utf8 = name.utf8
        guard utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return name }
        if let known = cache.withLock({ $0[name] }) { return known }
        let converted = convert(name)
        cache.withLock { $0[name] = converted }
        return converted
    }

    private static func convert(_ name: String) -> String {
        let utf8 = name.utf8
        let chars = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(chars.count + 4)
        for (i, c) in chars.enumerated() {
            let isUpper = c >= 0x41 && c <= 0x5A
            if isUpper {
                let previous = i > 0 ? chars[i - 1] : nil
                let next = i + 1 < chars.count ? chars[i + 1] : nil
                let previousIsLowerOrDigit = previous.map { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } ?? false
                let previousIsUpper = previous.map { $0 >= 0x41 && $0 <= 0x5A } ?? false
                let nextIsLower = next.map { $0 >= 0x61 && $0 <= 0x7A } ?? false
                if i > 0 && out.last != UInt8(ascii: "_") && (previousIsLowerOrDigit || (previousIsUpper && nextIsLower)) {
                    out.append(UInt8(ascii: "_"))
                }
                out.append(c + 0x20)
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
