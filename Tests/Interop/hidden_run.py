"""Runs a command with directories hidden from it (test_package.py):

    python hidden_run.py DIR [DIR ...] -- COMMAND [ARG ...]

In a private mount namespace (root only) an empty tmpfs is mounted over each DIR, then the
command replaces this process; only it and its children see the directories empty.
"""

import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 0x40000


def main() -> None:
    split = sys.argv.index("--")
    hidden, command = sys.argv[1:split], sys.argv[split + 1:]
    libc = ctypes.CDLL("libc.so.6", use_errno=True)

    def check(result: int, what: str) -> None:
        if result != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"{what}: {os.strerror(errno)}")

    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    for path in hidden:
        check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, None), f"mount tmpfs {path}")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
