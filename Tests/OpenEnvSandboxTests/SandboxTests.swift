import Foundation
import OpenEnvCore
import Testing
@testable import OpenEnvSandbox

/// A Python program that greets, then answers each request line `{"code": ...}` with
/// the result of `exec` — just enough protocol to probe the sandbox itself.
let probeProgram = #"""
import json, os, sys
chan = os.fdopen(os.dup(1), "w", buffering=1)
print(json.dumps({"ready": True, "pid": os.getpid(), "uid": os.getuid()}), file=chan)
for line in sys.stdin:
    request = json.loads(line)
    scope = {}
    try:
        exec(request["code"], scope)
        print(json.dumps({"ok": True, "result": scope.get("result")}), file=chan)
    except BaseException as e:
        print(json.dumps({"ok": False, "error": type(e).__name__ + ": " + str(e)}), file=chan)
"""#

func probeCommand(_ host: SandboxHost) async throws -> [String] {
    [try await host.configuration().pythonPath, "-I", "-c", probeProgram]
}

@Suite struct SandboxTests {
    @Test func runsAsAnUnprivilegedUserWithoutCapabilities() async throws {
        let host = SandboxHost.shared
        let sandbox = Sandbox(host: host)
        let greeting = try await sandbox.start(try await probeCommand(host))
        #expect(greeting["uid"] == 1000)
        #expect(greeting["pid"] == 2)
        let reply = try await sandbox.call(["code": """
            status = open('/proc/self/status').read()
            result = {l.split(':')[0]: l.split(':')[1].strip() for l in status.splitlines() if l.startswith(('Cap', 'Uid', 'NoNewPrivs'))}
            """], timeout: .seconds(10)).get()
        let fields = try #require(reply["result"]?.objectValue)
        #expect(fields["CapEff"] == "0000000000000000")
        #expect(fields["CapPrm"] == "0000000000000000")
        #expect(fields["CapBnd"] == "0000000000000000")
        #expect(fields["NoNewPrivs"] == "1")
        let uid = try #require(await sandbox.hostUID)
        let work = try #require(await sandbox.hostWorkDirectory)
        var info = stat()
        #expect(lstat(work, &info) == 0 && info.st_uid == uid && (info.st_mode & 0o777) == 0o700)
        await sandbox.close()
        #expect(lstat(work, &info) != 0)
    }
}
