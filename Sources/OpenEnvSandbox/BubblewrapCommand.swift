import Foundation

/// The `bwrap` command line of one sandbox.
///
/// Namespaces: user (the session's host uid appears as uid/gid 1000, no capabilities,
/// no further user namespaces), PID, IPC, UTS, cgroup, mount and, unless the
/// configuration opts in, network. Filesystem: a read-only root holding only `/usr` (and
/// the usr-merged `/bin`, `/lib`, ... links), a short list of harmless `/etc` files, a
/// generated `/etc/passwd` and `/etc/group`, fresh read-only `/dev` (with private
/// `/dev/pts` and a private tmpfs `/dev/shm`) and `/proc`, a private tmpfs `/tmp`, and the
/// session's work directory at `/work` — writable, or read-only for grading. Nothing else of the host (`/root`, `/home`, `/var`, `/sys`, other sessions,
/// the server's files) exists inside.
struct BubblewrapCommand {
    /// The sandbox's view of the session user.
    static let innerUID = 1000
    static let workPath = "/work"

    /// `/etc` entries that configure libraries and tools and hold no secrets.
    static let etcEntries = [
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "nsswitch.conf", "host.conf",
        "gai.conf", "hosts", "protocols", "services", "mime.types", "ssl", "ca-certificates",
        "ca-certificates.conf", "alternatives", "terminfo", "inputrc", "magic", "magic.mime",
    ]

    var bubblewrap: String
    var network: Bool
    var workDirectory: String
    var workReadOnly: Bool
    var passwdFile: String
    var groupFile: String
    /// fd (in the child) that receives bwrap's JSON info, holding the namespace init's pid.
    var infoFD: Int32
    var environment: [String: String]
    var command: [String]

    /// The arguments after `bwrap` itself.
    var arguments: [String] {
        var a = ["--unshare-all", "--unshare-user", "--disable-userns"]
        if network { a.append("--share-net") }
        a += ["--die-with-parent", "--new-session", "--cap-drop", "ALL",
              "--uid", String(Self.innerUID), "--gid", String(Self.innerUID), "--hostname", "sandbox",
              "--ro-bind", "/usr", "/usr"]
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: top) {
                a += ["--symlink", target, top]
            } else if FileManager.default.fileExists(atPath: top) {
                a += ["--ro-bind", top, top]
            }
        }
        var etc = Self.etcEntries
        if network { etc.append("resolv.conf") }
        etc += Self.pythonEtcEntries
        for entry in etc { a += ["--ro-bind-try", "/etc/" + entry, "/etc/" + entry] }
        a += ["--ro-bind", passwdFile, "/etc/passwd", "--ro-bind", groupFile, "/etc/group",
              "--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/var", "--symlink", "../tmp", "/var/tmp",
              workReadOnly ? "--ro-bind" : "--bind", workDirectory, Self.workPath, "--chdir", Self.workPath,
              "--remount-ro", "/dev", "--remount-ro", "/", "--info-fd", String(infoFD), "--clearenv"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { a += ["--setenv", key, value] }
        a.append("--")
        a += command
        return a
    }

    /// Debian keeps per-version Python configuration (e.g. `sitecustomize.py`) in `/etc/python3.*`.
    static let pythonEtcEntries: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/etc")) ?? []
        return names.filter { $0.hasPrefix("python3") }.sorted()
    }()

    /// The environment every sandboxed program starts with; callers add their own.
    static let baseEnvironment = [
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workPath, "USER": "agent", "LOGNAME": "agent",
        "LANG": "C.UTF-8", "SHELL": "/bin/bash", "TMPDIR": "/tmp",
    ]

    static let passwd = """
        root:x:0:0:root:/root:/usr/sbin/nologin
        agent:x:\(innerUID):\(innerUID):agent:\(workPath):/bin/bash
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin

        """
    static let group = """
        root:x:0:
        agent:x:\(innerUID):
        nogroup:x:65534:

        """
}
