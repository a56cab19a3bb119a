"""openenv terminal driver: one interactive bash on a pseudo-terminal, driven by JSON lines.

Requests: {"command": str, "timeout": s} runs shell input as if typed at the prompt
(through `eval` of a file, so it may span lines and has no tty line-length limit);
{"keys": str, "timeout": s, "idle": s} writes raw keystrokes. Both collect output until
the shell's next prompt, recognised by a marker PROMPT_COMMAND prints with $? and $PWD.
keys also return once output has been quiet for `idle` seconds (a program waiting for
input). When the timeout passes, the foreground process group gets SIGINT, then
SIGKILL; a shell that still does not prompt is killed and replaced.
Replies: {"output", "output_bytes", "status", "exit_code", "cwd", "duration_ms",
"shell_started"}; status is completed | timeout | running | incomplete | exited | busy.
"""
import fcntl, json, os, select, signal, struct, sys, termios, time

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 65536
NONCE = os.urandom(8).hex()
MARK = b"\x1b]777;openenv"
PROMPT = MARK + b";" + NONCE.encode() + b";"
MORE = MARK + b"-more;" + NONCE.encode() + b"\x07"
COMMAND_FILE = "/tmp/.openenv-command"
RC_FILE = "/tmp/.openenv-bashrc"
RC = r"""PS1=''
PS2=$'\e]777;openenv-more;%(nonce)s\a'
PROMPT_COMMAND='printf "\033]777;openenv;%(nonce)s;%%d;%%s\007" "$?" "$PWD"'
readonly PS2 PROMPT_COMMAND
export PS2 PROMPT_COMMAND
HISTCONTROL=ignorespace
unset HISTFILE
""" % {"nonce": NONCE}


class Output:
    """Keeps the first and last LIMIT/2 bytes and counts the rest."""

    def __init__(self):
        self.head, self.tail, self.total = bytearray(), bytearray(), 0
        self.half = LIMIT // 2

    def add(self, data):
        self.total += len(data)
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > LIMIT - self.half:
            del self.tail[:len(self.tail) - (LIMIT - self.half)]

    def text(self):
        omitted = self.total - len(self.head) - len(self.tail)
        if omitted <= 0:
            return (self.head + self.tail).decode("utf-8", "replace")
        return (self.head.decode("utf-8", "replace")
                + "\n[... openenv: output truncated: %d of %d bytes omitted ...]\n" % (omitted, self.total)
                + self.tail.decode("utf-8", "replace"))


class Shell:
    def __init__(self):
        master, slave = os.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR
        attrs[3] &= ~(termios.ECHO | termios.ECHOE | termios.ECHOK | termios.ECHONL)
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        environment = dict(os.environ, TERM="xterm", PAGER="cat", GIT_PAGER="cat")
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                os.closerange(3, 1 << 16)
                for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; bash must not inherit that
                    signal.signal(sig, signal.SIG_DFL)
                os.execve("/bin/bash", ["bash", "--noprofile", "--rcfile", RC_FILE, "--noediting", "-i"], environment)
            finally:
                os._exit(127)
        os.close(slave)
        os.set_blocking(master, False)
        self.pid, self.master, self.pending, self.at_prompt = pid, master, b"", False

    def scan(self, out):
        """Moves output before the next marker into `out`; returns the marker's event."""
        while True:
            i = self.pending.find(MARK)
            if i < 0:
                keep = 0
                for k in range(min(len(MARK) - 1, len(self.pending)), 0, -1):
                    if MARK.startswith(self.pending[-k:]):
                        keep = k
                        break
                out.add(self.pending[:len(self.pending) - keep])
                self.pending = self.pending[len(self.pending) - keep:]
                return None
            out.add(self.pending[:i])
            self.pending = self.pending[i:]
            end = self.pending.find(b"\x07")
            if end < 0:
                if len(self.pending) > 4096:  # not a marker of ours
                    out.add(self.pending[:len(MARK)])
                    self.pending = self.pending[len(MARK):]
                    continue
                return None
            marker, self.pending = self.pending[:end + 1], self.pending[end + 1:]
            if marker.startswith(PROMPT):
                code, _, cwd = marker[len(PROMPT):-1].partition(b";")
                return ("prompt", int(code) if code.isdigit() else None, cwd.decode("utf-8", "replace"))
            if marker == MORE:
                return ("more",)
            out.add(marker)

    def exchange(self, out, deadline, send=b"", idle=None):
        """Writes `send` while reading; returns the first event: prompt, more, idle,
        deadline or exited."""
        quiet_since = time.monotonic()
        while True:
            event = self.scan(out)
            if event:
                return event
            now = time.monotonic()
            if now >= deadline:
                return ("deadline",)
            if idle is not None and not send and now - quiet_since >= idle:
                return ("idle",)
            wait = min(deadline - now, 0.05 if idle is None else max(0.0, min(0.05, quiet_since + idle - now)))
            readable, writable, _ = select.select([self.master], [self.master] if send else [], [], wait)
            if writable:
                try:
                    send = send[os.write(self.master, send):]
                except BlockingIOError:
                    pass
            if readable:
                try:
                    data = os.read(self.master, 65536)
                except BlockingIOError:
                    data = None
                except OSError:
                    data = b""
                if data:
                    self.pending += data
                    quiet_since = time.monotonic()
                    continue
                if data == b"":
                    time.sleep(0.01)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.drain(out)
                code = os.waitstatus_to_exitcode(status)
                return ("exited", code if code >= 0 else 128 - code)  # killed: 128 + signal, as shells say

    def drain(self, out):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if not data:
                break
            self.pending += data
        self.scan(out)
        out.add(self.pending)
        self.pending = b""

    def interrupt(self, out):
        """SIGINT, then SIGKILL, to the foreground process group; then the shell itself."""
        for sig, grace in ((signal.SIGINT, 0.5), (signal.SIGKILL, 1.0)):
            try:
                group = os.tcgetpgrp(self.master)
                if sig == signal.SIGINT or group != self.pid:
                    os.killpg(group, sig)
            except OSError:
                pass
            event = self.exchange(out, time.monotonic() + grace)
            if event[0] in ("prompt", "exited"):
                return event
        self.kill()
        return ("exited", 128 + signal.SIGKILL)

    def kill(self):
        """Kills and reaps the shell and closes the terminal; a second call does nothing."""
        if self.master < 0:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.master)
        self.master = -1


def main():
    channel = os.dup(1)
    requests = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)

    def send(message):
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(channel, data):]

    with open(RC_FILE, "w") as rc:
        rc.write(RC)

    def start_shell():
        shell = Shell()
        event = shell.exchange(Output(), time.monotonic() + 10)
        if event[0] != "prompt":
            raise RuntimeError("bash did not prompt: %r" % (event,))
        shell.at_prompt = True
        return shell, event[2]

    shell, cwd = start_shell()
    send({"ready": True, "cwd": cwd})
    for line in requests:
        request = json.loads(line)
        started = time.monotonic()
        deadline = started + float(request.get("timeout", 30))
        out = Output()
        reply = {"status": "completed", "exit_code": None, "cwd": None, "shell_started": False}
        if shell is None:
            shell, _ = start_shell()
            reply["shell_started"] = True
        if "command" in request:
            if not shell.at_prompt:
                reply["status"] = "busy"
                event = None
            else:
                with open(COMMAND_FILE, "w") as f:
                    f.write(request["command"])
                # `read` and `eval` are builtins: delivering a command never forks, so it
                # works even when the session is at its process limit.
                line = b" IFS= read -r -d '' __openenv_command < %s; eval -- \"$__openenv_command\"\n" % COMMAND_FILE.encode()
                event = shell.exchange(out, deadline, line)
        else:
            event = shell.exchange(out, deadline, request["keys"].encode(), idle=float(request.get("idle", 0.5)))
        if event and event[0] == "deadline":
            reply["status"] = "timeout"
            event = shell.interrupt(out)
        if event is None:
            pass
        elif event[0] == "prompt":
            shell.at_prompt = True
            reply["exit_code"], reply["cwd"] = event[1], event[2]
        elif event[0] == "exited":
            if reply["status"] != "timeout":
                reply["status"] = "exited"
            reply["exit_code"] = event[1]
            shell.kill()
            shell = None
        else:
            shell.at_prompt = False
            reply["status"] = "incomplete" if event[0] == "more" else "running"
        reply["output"], reply["output_bytes"] = out.text(), out.total
        reply["duration_ms"] = (time.monotonic() - started) * 1000
        send(reply)


main()
