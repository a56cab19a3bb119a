#if canImport(Glibc)
import Glibc
#endif

/// CPU time and memory of a process tree, read from `/proc` (Linux): `openenv bench`'s
/// server readings and the server's own `process_*` metrics.
public struct ProcessStats: Sendable, Equatable {
    /// User plus system CPU seconds of the process and all its descendants.
    public var cpuSeconds: Double
    /// Resident set size of the process and all its descendants, in bytes.
    public var rssBytes: Int

    /// Samples `pid`'s tree; `nil` when the process does not exist.
    public static func sample(pid: Int32) -> ProcessStats? {
        var total = ProcessStats(cpuSeconds: 0, rssBytes: 0)
        var found = false
        for p in tree(pid) {
            guard let one = sampleProcess(pid: p) else { continue }
            total.cpuSeconds += one.cpuSeconds
            total.rssBytes += one.rssBytes
            found = true
        }
        return found ? total : nil
    }

    /// Samples `pid` alone, without its descendants; `nil` when it does not exist.
    public static func sampleProcess(pid: Int32) -> ProcessStats? {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = sysconf(Int32(_SC_PAGESIZE))
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the command: state is [0], utime [11], stime [12], rss pages [21].
        guard fields.count > 21, let utime = Double(fields[11]), let stime = Double(fields[12]), let pages = Int(fields[21]) else { return nil }
        return ProcessStats(cpuSeconds: (utime + stime) / ticks, rssBytes: pages * page)
    }

    /// Open file descriptors of `pid` (entries of `/proc/PID/fd`); `nil` when unreadable.
    public static func openFileDescriptors(pid: Int32) -> Int? {
        listDirectory("/proc/\(pid)/fd")?.count
    }

    /// `pid` and its descendants.
    static func tree(_ pid: Int32) -> [Int32] {
        var result: [Int32] = []
        var stack = [pid]
        while let p = stack.popLast() {
            result.append(p)
            guard let tasks = listDirectory("/proc/\(p)/task") else { continue }
            for task in tasks {
                let children = read("/proc/\(p)/task/\(task)/children") ?? ""
                stack.append(contentsOf: children.split(separator: " ").compactMap { Int32($0) })
            }
        }
        return result
    }

    package static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func listDirectory(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// Raises this process's open-file limit to its hard limit (holding thousands of sockets).
public func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
