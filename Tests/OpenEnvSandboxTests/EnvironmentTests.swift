import Foundation
import OpenEnvCore
import Testing
@testable import OpenEnvCoding
@testable import OpenEnvSandbox

@Suite struct CodingEnvironmentTests {
    @Test func stateOutputAndExceptionsPersistLikeANotebook() async throws {
        let env = CodingEnvironment()
        #expect(await env.state.lastExitCode == 0, "an integer before the first step, as the reference's CodeState")
        _ = try await env.reset(seed: nil, episodeID: "ep", options: [:])
        #expect(try await env.step(.init(code: "import sys\ncounter = 1")).observation.exitCode == 0)
        let printed = try await env.step(.init(code: "counter += 1\nprint(counter)\nprint('warn', file=sys.stderr)"))
        let printedDetails = try CodingEnvironment.StepDetails(metadata: printed.metadata)
        #expect(printed.observation == .init(stdout: "2\n", stderr: "warn\n", exitCode: 0))
        #expect(printedDetails.exception == nil && !printedDetails.truncated && printedDetails.interpreterStarts == 1)
        let failed = try await env.step(.init(code: "def f():\n    return 1 / 0\nf()"))
        #expect(failed.observation.exitCode == 1)
        #expect(try CodingEnvironment.StepDetails(metadata: failed.metadata).exception == .init(type: "ZeroDivisionError", message: "division by zero"))
        #expect(failed.observation.stderr.contains("line 2, in f\n    return 1 / 0"), "\(failed.observation.stderr)")
        #expect(try await env.step(.init(code: "raise SystemExit(3)")).observation.exitCode == 3)
        #expect(try await env.step(.init(code: "print(counter)")).observation.stdout == "2\n", "SystemExit keeps the interpreter")
        let state = await env.state
        #expect(state == .init(episodeID: "ep", stepCount: 5, lastExitCode: 0))
        await env.close()
    }

    /// Expected rewards computed by hand from the reference's transforms (upstream
    /// `envs/coding_env/server/transforms.py`) and checked against the reference server:
    /// safety -1.0 for a dangerous pattern, else 0.0; plus 0.1 for at most 100 characters
    /// after strip(); plus -0.2 when ast.parse fails.
    @Test func rewardsAreTheReferenceCodingEnvironments() async throws {
        let env = CodingEnvironment()
        #expect(try await env.reset(seed: nil, episodeID: nil, options: [:]).reward == .double(0))
        let cases: [(code: String, reward: Double, violation: String?, syntaxError: Bool)] = [
            ("print('Hello, World!')", 0.1, nil, false),
            ("print('Hello'", -0.1, nil, true),
            ("import os", -0.9, #"import\s+os"#, false),
            ("import  \t subprocess", -0.9, #"import\s+subprocess"#, false),
            ("print(eval('1'))", -0.9, #"eval\("#, false),
            ("x = __import__('math')", -0.9, "__import__", false),
            ("open('f', 'w').write('x')", -0.9, #"open\("#, false),
            ("import os\ndef broken(:", -1.1, #"import\s+os"#, true),
            ("importos = 1", 0.1, nil, false),  // no whitespace after "import"
            ("return 5", 0.1, nil, false),  // parses (ast.parse), fails only to compile
            ("y = " + String(repeating: "1 + ", count: 40) + "1", 0.0, nil, false),  // 164 characters
            ("\n\n" + String(repeating: "a", count: 100) + " \n\t ", 0.1, nil, false),  // 100 after strip()
            (String(repeating: "a", count: 101), 0.0, nil, false),
        ]
        for (code, reward, violation, syntaxError) in cases {
            let result = try await env.step(.init(code: code))
            let details = try CodingEnvironment.StepDetails(metadata: result.metadata)
            #expect(result.reward == .double(reward), "\(code)")
            #expect(details.safetyViolation == violation && details.syntaxError == syntaxError && details.lastCode == code, "\(code)")
        }
        await env.close()
    }

    @Test func hiddenTestsGradeTheWorkDirectoryFromOutsideTheAgentsReach() async throws {
        let tests = """
            import os
            from solution import square
            def test_square():
                assert square(3) == 9
            def test_work_is_read_only():
                try:
                    open('/work/tampered', 'w')
                except OSError:
                    return
                raise AssertionError('the grader could write to /work')
            def test_fails():
                assert square(2) == 5
            """
        let env = CodingEnvironment()
        _ = try await env.reset(seed: nil, episodeID: nil, options: ["tests": .string(tests)])
        let look = try await env.step(.init(code: "import os\nprint(os.listdir('/work'), os.listdir('/tmp'))"))
        #expect(look.observation.stdout == "[] ['.']\n" || !look.observation.stdout.contains("test_"), "\(look.observation.stdout)")
        #expect(look.reward == .double(0), "task mode: no shaping penalty for import os")
        _ = try await env.step(.init(code: "open('solution.py', 'w').write('def square(x):\\n    return x * x\\n')"))
        let graded = try await env.step(.init(code: "print('done')", submit: true))
        #expect(graded.done)
        #expect(graded.reward == .double(2.0 / 3.0))
        #expect(try CodingEnvironment.StepDetails(metadata: graded.metadata).tests == .init(passed: 2, total: 3, failed: ["test_fails"], error: nil))
        // A solution that kills its grader gets nothing.
        _ = try await env.reset(seed: nil, episodeID: nil, options: ["tests": .string(tests)])
        _ = try await env.step(.init(code: "open('solution.py', 'w').write('import os\\nos._exit(0)\\n')"))
        let cheated = try await env.step(.init(code: "", submit: true))
        let report = try CodingEnvironment.StepDetails(metadata: cheated.metadata).tests
        #expect(cheated.reward == .double(0) && report?.error?.contains("grading failed") == true, "\(cheated.metadata)")
        await env.close()
    }

    @Test func submitWithoutATaskIsAValidationError() async throws {
        let env = CodingEnvironment()
        _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
        await #expect(throws: ValidationFailure.self) { _ = try await env.step(.init(code: "", submit: true)) }
        await #expect(throws: ValidationFailure.self) { _ = try await env.reset(seed: nil, episodeID: nil, options: ["tests": 1]) }
        #expect(await env.state.stepCount == 0)
        await env.close()
    }
}

@Suite struct TerminalEnvironmentTests {
    @Test func theShellKeepsItsDirectoryVariablesAndJobs() async throws {
        let env = TerminalEnvironment()
        let start = try await env.reset(seed: nil, episodeID: "t", options: [:])
        #expect(start.observation.cwd == "/work" && start.observation.status == .completed)
        _ = try await env.step(.init(command: "mkdir -p a/b && cd a/b && x=41; sleep 30 &"))
        let o = try await env.step(.init(command: "echo $((x + 1)) $PWD; jobs | wc -l")).observation
        #expect(o.output == "42 /work/a/b\n1\n" && o.exitCode == 0 && o.cwd == "/work/a/b", "\(o)")
        let long = try await env.step(.init(command: "printf '%s\\n' {1..3}; echo 'x\ny'")).observation
        #expect(long.output == "1\n2\n3\nx\ny\n")
        let bad = try await env.step(.init(command: "ls /nonexistent")).observation
        #expect(bad.exitCode == 2 && bad.output.contains("No such file or directory"))
        let keys = try await env.step(.init(keys: "read -r answer; echo got $answer\n", idleS: 0.3)).observation
        #expect(keys.status == .running)
        let reply = try await env.step(.init(keys: "yes\n")).observation
        #expect(reply.status == .completed && reply.output == "got yes\n", "\(reply)")
        let exited = try await env.step(.init(command: "exit 5"))
        #expect(exited.done && exited.observation.status == .exited && exited.observation.exitCode == 5)
        let fresh = try await env.step(.init(command: "pwd")).observation
        #expect(fresh.shellStarted && fresh.output == "/work\n")
        #expect(await env.state.stepCount == 8)
        await env.close()
    }

    @Test func aShellThatIgnoresInterruptsIsReplaced() async throws {
        let env = TerminalEnvironment()
        _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
        _ = try await env.step(.init(command: "cd /tmp"))
        let stuck = try await env.step(.init(command: "trap '' INT; while :; do :; done", timeoutS: 1)).observation
        #expect(stuck.status == .timeout && stuck.exitCode == 137, "\(stuck)")
        let next = try await env.step(.init(command: "pwd")).observation
        #expect(next.shellStarted && next.output == "/work\n", "\(next)")
        await env.close()
    }

    @Test func exactlyOneOfCommandAndKeys() async throws {
        let env = TerminalEnvironment()
        _ = try await env.reset(seed: nil, episodeID: nil, options: [:])
        await #expect(throws: ValidationFailure.self) { _ = try await env.step(.init()) }
        await #expect(throws: ValidationFailure.self) { _ = try await env.step(.init(command: "a", keys: "b")) }
        await env.close()
    }
}
