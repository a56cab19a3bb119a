"""openenv grader: runs hidden tests against the work directory (mounted read-only).

Greets, reads one request {"tests": str}, runs every top-level function named test_*
(in definition order) and every unittest.TestCase in the tests source, and replies
{"passed": [...], "failed": [...], "error": str|null}. Output of the code under test
goes to /dev/null; the protocol fd is private.
"""
import json, os, sys, traceback, types, unittest


def main():
    channel = os.dup(1)
    requests = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")

    def send(message):
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(channel, data):]

    send({"ready": True})
    request = json.loads(requests.readline())
    sys.path.insert(0, os.getcwd())
    passed, failed = [], []
    module = types.ModuleType("hidden_tests")
    try:
        exec(compile(request["tests"], "<hidden tests>", "exec"), module.__dict__)
    except BaseException as e:
        send({"passed": [], "failed": [], "error": "the tests did not load: %s: %s" % (type(e).__name__, e)})
        return
    for name, value in list(module.__dict__.items()):
        if name.startswith("test_") and callable(value) and not isinstance(value, type):
            try:
                value()
                passed.append(name)
            except BaseException:
                failed.append(name)
        elif isinstance(value, type) and issubclass(value, unittest.TestCase) and value is not unittest.TestCase:
            for case in unittest.defaultTestLoader.loadTestsFromTestCase(value):
                result = unittest.TestResult()
                case.run(result)
                (passed if result.wasSuccessful() else failed).append(case.id().replace("hidden_tests.", ""))
    send({"passed": passed, "failed": failed, "error": None})


main()
