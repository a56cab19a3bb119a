"""openenv coding driver: a persistent Python interpreter speaking JSON lines.

stdin/stdout (one socket) carry the protocol: a greeting, then one reply per request
{"code": str}. The code runs in one namespace kept across requests. fds 1 and 2 point at
memory files emptied before each request, so output of subprocesses is captured too; fd
0 is /dev/null. Output beyond the limit is cut in the middle with a marker. syntax_error
in the reply means "ast.parse raises SyntaxError" (what the reference penalises), which
is narrower than compile's SyntaxError ('return' outside a function parses): only code
that did not compile is parsed again to tell.
"""
import json, os, sys, time
from _ast import PyCF_ONLY_AST

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 65536


def main():
    channel = os.dup(1)  # non-inheritable: children never see the protocol
    requests = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    captures = [os.memfd_create("stdout"), os.memfd_create("stderr")]
    os.dup2(captures[0], 1)
    os.dup2(captures[1], 2)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.path.insert(0, "")
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    build = compile  # the driver's own reference: code that rebinds builtins.compile cannot reach it

    def send(message):
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(channel, data):]

    send({"ready": True, "python": sys.version.split()[0]})
    sources = {}  # cell name -> source, for tracebacks (traceback is imported on first use)
    for line in requests:
        request = json.loads(line)
        name = "<cell %d>" % (len(sources) + 1)
        sources[name] = request["code"]
        for fd in captures:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
        exit_code, exception, syntax_error = 0, None, False
        start = time.perf_counter()
        try:
            try:
                code = build(sources[name], name, "exec")
            except SyntaxError:
                try:
                    build(sources[name], name, "exec", PyCF_ONLY_AST)
                except SyntaxError:
                    syntax_error = True
                raise
            exec(code, namespace)
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                exit_code = e.code or 0
            else:
                exit_code = 1
                print(e.code, file=sys.stderr)
        except BaseException as e:
            exit_code = 1
            exception = {"type": type(e).__name__, "message": str(e)}
            tb = e.__traceback__.tb_next if e.__traceback__ is not None else None  # drop this frame
            try:
                import linecache, traceback
                for cell, source in sources.items():
                    linecache.cache[cell] = (len(source), None, source.splitlines(True), cell)
                traceback.print_exception(type(e), e, tb)
            except BaseException:
                pass
        elapsed = (time.perf_counter() - start) * 1000
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        reply = {"exit_code": exit_code, "exception": exception, "duration_ms": elapsed, "syntax_error": syntax_error}
        for key, fd in zip(("stdout", "stderr"), captures):
            reply[key], reply[key + "_bytes"] = capped(fd)
        send(reply)


def capped(fd):
    size = os.fstat(fd).st_size
    if size <= LIMIT:
        return os.pread(fd, size, 0).decode("utf-8", "replace"), size
    head = LIMIT // 2
    tail = LIMIT - head
    return (os.pread(fd, head, 0).decode("utf-8", "replace")
            + "\n[... openenv: output truncated: %d of %d bytes omitted ...]\n" % (size - LIMIT, size)
            + os.pread(fd, tail, size - tail).decode("utf-8", "replace")), size


main()
