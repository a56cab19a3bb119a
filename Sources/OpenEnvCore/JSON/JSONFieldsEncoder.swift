import Synchronization

/// Writes the members of an `Encodable` value's keyed container straight as compact JSON
/// text, without building a ``JSONValue`` of the value first: the encoding half of the `/ws`
/// step fast path (``ObservationFrame``).
///
/// It reproduces what ``JSONValueEncoder`` followed by ``JSONWriter`` (compact) writes for the
/// value's top-level object — snake_case keys in declaration order, `nil` optionals as
/// `null`, each member's value converted by the same rules (``EncodingBox``) — and gives up
/// (answers `false`) on anything it does not reproduce byte for byte: a value that is not
/// written through one keyed container, a key written twice, a key in `skipping`, or any
/// error. The caller then takes the tree path, which throws the same error, if any.
struct JSONFieldsEncoder {
    /// Whether `T` reaches the tree encoder's keyed containers at all (the tree encoder
    /// special-cases raw JSON, scalars and string-keyed dictionaries).
    static func canEncode<T: Encodable>(_ type: T.Type) -> Bool {
        !(T.self == JSONValue.self || T.self == JSONObject.self || T.self == String.self || T.self == Int.self
            || T.self == Double.self || T.self == Bool.self || T.self == Float.self
            || T.self is any StringKeyedDictionaryEncodable.Type)
    }

    /// Appends `,"key":value` for each member of `value` to `out`; `false` when the caller
    /// must take the tree path (`out` then holds partial output).
    static func appendMembers<T: Encodable>(of value: T, skipping skipped: String, to out: inout [UInt8]) -> Bool {
        let state = FieldsState(out: out, skipped: skipped)
        out = []  // keep the buffer uniquely referenced by the state while it writes
        do {
            try value.encode(to: FieldsEncoder(state: state))
        } catch {
            state.failed = true
        }
        out = state.takeOutput()
        state.saveKeys()
        return !state.failed
    }
}

/// The wire form of the keys of one `CodingKey` type met so far, `,"snake_name":` by Swift
/// name: a key's conversion and escaping are done once per process, not once per member
/// written.
private struct KeyTable: Sendable {
    struct Entry: Sendable {
        let name: String
        let wireName: String
        /// `,"wire_name":`
        let prefix: [UInt8]
        /// The first entry with the same wire name (two Swift names can convert to one).
        let canonical: Int
    }

    var entries: [Entry] = []

    /// Tables by `CodingKey` type; read once and written back (when it grew) once per value.
    static let known = Mutex<[ObjectIdentifier: KeyTable]>([:])

    /// The index of `name`'s entry, added when new. `guess` is tried first: members are
    /// usually written in the order they were first met.
    mutating func index(of name: String, guess: Int, writer: JSONWriter) -> Int {
        if guess < entries.count, entries[guess].name == name { return guess }
        if let index = entries.firstIndex(where: { $0.name == name }) { return index }
        let wireName = KeyCase.snake(name)
        var prefix: [UInt8] = [UInt8(ascii: ",")]
        writer.writeString(wireName, into: &prefix)
        prefix.append(UInt8(ascii: ":"))
        let canonical = entries.firstIndex { $0.wireName == wireName } ?? entries.count
        entries.append(Entry(name: name, wireName: wireName, prefix: prefix, canonical: canonical))
        return entries.count - 1
    }
}

private final class FieldsState {
    /// What the encoder changes, behind a pointer: members are written many times per value,
    /// and each access to a class's stored `var` would pay a dynamic exclusivity check.
    private struct Storage {
        var out: [UInt8]
        var failed = false
        /// The keys of the value's container type, and how many of them were known on loading.
        var keyType: ObjectIdentifier?
        var keys = KeyTable()
        var loadedKeys = 0
        /// How many members were written, and the canonical indexes in `keys` of those
        /// (below 64 as bits, the rest listed).
        var writtenCount = 0
        var writtenBits: UInt64 = 0
        var writtenBeyond64: [Int] = []

        /// Records `canonical` as written; `false` when it already was.
        mutating func markWritten(_ canonical: Int) -> Bool {
            writtenCount += 1
            if canonical < 64 {
                let bit: UInt64 = 1 << UInt64(canonical)
                guard writtenBits & bit == 0 else { return false }
                writtenBits |= bit
                return true
            }
            guard !writtenBeyond64.contains(canonical) else { return false }
            writtenBeyond64.append(canonical)
            return true
        }
    }

    private let storage: UnsafeMutablePointer<Storage>
    let skipped: String
    let writer = JSONWriter(style: .compact)

    var out: [UInt8] {
        get { storage.pointee.out }
        _modify { yield &storage.pointee.out }
    }

    var failed: Bool {
        get { storage.pointee.failed }
        set { storage.pointee.failed = newValue }
    }

    init(out: [UInt8], skipped: String) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage(out: out))
        self.skipped = skipped
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// Takes the output back, leaving the state empty.
    func takeOutput() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &storage.pointee.out)
        return taken
    }

    /// Loads the key table of `Key`; a second container (of any type) gives up.
    func useKeys<Key: CodingKey>(_ type: Key.Type) {
        guard storage.pointee.keyType == nil else {
            failed = true
            return
        }
        storage.pointee.keyType = ObjectIdentifier(Key.self)
        storage.pointee.keys = KeyTable.known.withLock { $0[ObjectIdentifier(Key.self)] } ?? KeyTable()
        storage.pointee.loadedKeys = storage.pointee.keys.entries.count
    }

    /// Stores the key table back when it learnt keys.
    func saveKeys() {
        guard let keyType = storage.pointee.keyType, storage.pointee.keys.entries.count > storage.pointee.loadedKeys else { return }
        let keys = storage.pointee.keys
        KeyTable.known.withLock { known in
            if keys.entries.count > known[keyType]?.entries.count ?? 0 { known[keyType] = keys }
        }
    }

    /// Writes `,"name":` for a new member, or gives up on a repeated or skipped key.
    func begin(_ key: some CodingKey) throws {
        guard !failed else { throw FastPathDeclined() }
        let state = storage
        let index = state.pointee.keys.index(of: key.stringValue, guess: state.pointee.writtenCount, writer: writer)
        guard state.pointee.keys.entries[index].wireName != skipped, state.pointee.markWritten(state.pointee.keys.entries[index].canonical) else {
            throw FastPathDeclined()
        }
        state.pointee.out.append(contentsOf: state.pointee.keys.entries[index].prefix)
    }

    func write<T: Encodable>(_ value: T) throws {
        // Arrays of the common leaves (an observation's `info_state`, `legal_actions`) are
        // written element by element, as the tree writer writes their `.array`.
        let writer = self.writer
        if T.self == [Double].self { return writer.writeDoubles(unsafeBitCast(value, to: [Double].self), into: &out) }
        if T.self == [Int].self { return writer.writeIntegers(unsafeBitCast(value, to: [Int].self), into: &out) }
        if T.self == [String].self { return writer.writeStrings(unsafeBitCast(value, to: [String].self), into: &out) }
        writer.write(try EncodingBox.convert(value, options: JSONValueEncoder(), codingPath: []), into: &out)
    }
}

private struct FieldsEncoder: Encoder {
    let state: FieldsState
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        state.useKeys(Key.self)
        return KeyedEncodingContainer(FieldsContainer<Key>(state: state))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        state.failed = true
        return DeclinedUnkeyedContainer()
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        state.failed = true
        return DeclinedSingleContainer()
    }
}

/// Mirrors the tree encoder's `KeyedContainer` at the top level, member for member (the
/// same overloads, so the standard library's defaults apply to the same calls).
private struct FieldsContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: FieldsState
    var codingPath: [any CodingKey] { [] }

    private func writeNull(for key: Key) throws {
        try state.begin(key)
        state.out.append(contentsOf: "null".utf8)
    }

    mutating func encodeNil(forKey key: Key) throws { try writeNull(for: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try state.begin(key)
        try state.write(value)
    }
    // The tree encoder's generic `encode` witnesses these too, and converts them to the same
    // scalar cases; written here without the generic conversion.
    mutating func encode(_ value: Int, forKey key: Key) throws {
        try state.begin(key)
        state.writer.writeInteger(value, into: &state.out)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        try state.begin(key)
        state.writer.writeString(value, into: &state.out)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        try state.begin(key)
        state.writer.writeDouble(value, into: &state.out)
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try state.begin(key)
        state.out.append(contentsOf: (value ? "true" : "false").utf8)
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try writeNull(for: key) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value, key) }

    private mutating func encodeOptional<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try writeNull(for: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        state.failed = true
        return KeyedEncodingContainer(DeclinedKeyedContainer<NestedKey>())
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        state.failed = true
        return DeclinedUnkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        state.failed = true
        return FieldsEncoder(state: state)
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        state.failed = true
        return FieldsEncoder(state: state)
    }
}

/// Containers handed out after the fast path gave up: they write nothing.
private struct DeclinedKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil(forKey key: Key) throws { throw FastPathDeclined() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw FastPathDeclined() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(DeclinedKeyedContainer<NestedKey>())
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { DeclinedUnkeyedContainer() }
    mutating func superEncoder() -> any Encoder { DeclinedEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { DeclinedEncoder() }
}

private struct DeclinedUnkeyedContainer: UnkeyedEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int { 0 }
    mutating func encodeNil() throws { throw FastPathDeclined() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw FastPathDeclined() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(DeclinedKeyedContainer<NestedKey>())
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { DeclinedUnkeyedContainer() }
    mutating func superEncoder() -> any Encoder { DeclinedEncoder() }
}

private struct DeclinedSingleContainer: SingleValueEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil() throws { throw FastPathDeclined() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw FastPathDeclined() }
}

private struct DeclinedEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(DeclinedKeyedContainer<Key>())
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { DeclinedUnkeyedContainer() }
    func singleValueContainer() -> any SingleValueEncodingContainer { DeclinedSingleContainer() }
}
