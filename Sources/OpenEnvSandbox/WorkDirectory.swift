import Foundation

/// A session's work directory on the host: a tmpfs of bounded size mounted at
/// `<stateDirectory>/work/<uid>`, owned by the session uid, mode 0700.
///
/// Being a tmpfs, it uses no host disk, its size is capped (writes beyond fail with
/// ENOSPC), its pages count against the session's memory cgroup, and deleting it is an
/// unmount: nothing the session created (symbolic links, unreadable directories) is ever
/// walked by root.
enum WorkDirectory {
    static func create(_ path: String, uid: UInt32, sizeBytes: Int) throws(SandboxError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .hostOperation("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let options = "size=\(sizeBytes),mode=0700,uid=\(uid),gid=\(uid)"
        guard mount("tmpfs", path, "tmpfs", UInt(MS_NOSUID | MS_NODEV), options) == 0 else {
            throw .hostOperation("cannot mount a tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Unmounts and removes the directory; nothing happens when it does not exist.
    static func remove(_ path: String) throws(SandboxError) {
        while umount2(path, Int32(MNT_DETACH)) == 0 {}  // a leftover may have been mounted twice
        guard errno == EINVAL || errno == ENOENT else {
            throw .hostOperation("cannot unmount \(path): \(String(cString: strerror(errno)))")
        }
        guard rmdir(path) == 0 || errno == ENOENT else {
            throw .hostOperation("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}
