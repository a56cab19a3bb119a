import Foundation

/// Exclusive, host-wide use of one unprivileged uid by one session.
///
/// The lease is an `flock` on `<stateDirectory>/locks/<uid>`, held for the session's
/// lifetime, so servers sharing the state directory never hand out the same uid and a
/// crashed server's locks are released by the kernel. The lock file says `clean` once a
/// holder has removed everything of the uid; anything else tells the next holder to
/// sweep leftovers first (``needsSweep``).
/// `package`: the browser environment leases the uid its Chromium runs as.
package final class UIDLease: Sendable {
    package let uid: UInt32
    /// `false` when the previous holder ended cleanly.
    package let needsSweep: Bool
    private let fd: Int32

    private init(uid: UInt32, fd: Int32, needsSweep: Bool) {
        self.uid = uid
        self.fd = fd
        self.needsSweep = needsSweep
    }

    /// Takes the lock of `uid` if no process holds it, marking it in use.
    package static func tryAcquire(uid: UInt32, lockDirectory: String) throws(SandboxError) -> UIDLease? {
        let path = "\(lockDirectory)/\(uid)"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .hostOperation("cannot open lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = pread(fd, &buffer, buffer.count, 0)
        let clean = n == 5 && buffer.prefix(5).elementsEqual("clean".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, "in-use", 6, 0)
        return UIDLease(uid: uid, fd: fd, needsSweep: !clean)
    }

    /// Releases the lock; `clean` records that nothing of the uid is left.
    package func release(clean: Bool) {
        if clean {
            _ = ftruncate(fd, 0)
            _ = pwrite(fd, "clean", 5, 0)
        }
        close(fd)
    }
}
