import Foundation
import OpenEnvCore
import Testing
@testable import OpenEnvCoding
@testable import OpenEnvSandbox

/// The warm pool (`openenv serve coding|terminal --sandbox-pool N`): a reset takes a
/// sandbox started ahead, a sandbox serves one episode only, an empty pool falls back to
/// starting one, and shutdown leaves nothing behind. The abuse suite runs once more with
/// pools on (`OPENENV_TEST_SANDBOX_POOL`, see Support.swift).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SandboxPoolTests {
    @Test(arguments: EnvironmentKind.allCases)
    func aResetTakesAReadySandboxAndNothingOfTheLastEpisodeRemains(_ kind: EnvironmentKind) async throws {
        let pool = testPool(kind, size: 2)
        #expect(await eventually { await pool.readyCount == 2 })
        let readyUIDs = Set(await pool.readyResources().map(\.uid))
        let session = try await Session.open(kind, pool: pool)
        let firstUID = try await session.uid
        let firstWork = try await session.workDirectory
        #expect(readyUIDs.contains(firstUID), "the first episode's sandbox came from the pool")
        _ = try await session.run(python: "open('secret', 'w').write('x'); leftover = 42", shell: "echo x > secret; leftover=42")

        try await session.reset()
        let secondUID = try await session.uid
        #expect(secondUID != firstUID)
        #expect(readyUIDs.contains(secondUID), "the second episode's sandbox came from the pool too")
        let seen = try await session.run(
            python: "import os; print(sorted(os.listdir('.')), 'leftover' in globals())",
            shell: "ls -A; echo \"[${leftover:-unset}]\"").text
        #expect(!seen.contains("secret"), "the new episode sees the last one's file: \(seen)")
        #expect(seen.contains(kind == .coding ? "[] False" : "[unset]"), "\(seen)")
        // The previous episode's uid is closed in the background: nothing of it remains.
        #expect(await eventually { !FileManager.default.fileExists(atPath: firstWork) && processes(of: firstUID).isEmpty })
        expectNothingLeft(uid: firstUID, workDirectory: firstWork)

        let lastWork = try await session.workDirectory
        await session.close()
        expectNothingLeft(uid: secondUID, workDirectory: lastWork)
        let pooled = await pool.readyResources()
        await pool.shutdown()
        #expect(await pool.readyCount == 0)
        for item in pooled { expectNothingLeft(uid: item.uid, workDirectory: item.workDirectory) }
    }

    @Test func anEmptyPoolFallsBackToStartingASandboxOfItsOwn() async throws {
        let pool = testPool(.coding, size: 1, refill: 1)
        #expect(await eventually { await pool.readyCount == 1 })
        // Three sessions at once from a pool of one: one hit, two fall back; all work and
        // none shares a uid with another.
        let sessions = try await withThrowingTaskGroup(of: Session.self) { group in
            for _ in 0..<3 { group.addTask { try await Session.open(.coding, pool: pool) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var uids: Set<UInt32> = []
        for (index, session) in sessions.enumerated() {
            uids.insert(try await session.uid)
            #expect(try await session.echo("session \(index)").contains("session \(index)"))
        }
        #expect(uids.count == 3)
        for session in sessions { await session.close() }
        #expect(await eventually { await pool.readyCount == 1 }, "the pool refills after the takes")
        await pool.shutdown()
    }

    @Test func shutdownClosesEveryReadySandboxAndStopsRefilling() async throws {
        let pool = testPool(.terminal, size: 3, refill: 3)
        #expect(await eventually { await pool.readyCount == 3 })
        let ready = await pool.readyResources()
        #expect(Set(ready.map(\.uid)).count == 3)
        for item in ready { #expect(!processes(of: item.uid).isEmpty, "a ready sandbox runs its program") }
        await pool.shutdown()
        for item in ready { expectNothingLeft(uid: item.uid, workDirectory: item.workDirectory) }
        #expect(await pool.take() == nil)
        try await Task.sleep(for: .milliseconds(300))
        #expect(await pool.readyCount == 0, "no refill after shutdown")
    }

    @Test func poolOptionsAreCheckedByTheEntries() throws {
        #expect(try SandboxPool.Settings(EnvironmentOptions(), for: "coding") == nil)
        #expect(try SandboxPool.Settings(EnvironmentOptions(values: [("--sandbox-pool", "0")]), for: "coding") == nil)
        #expect(try SandboxPool.Settings(EnvironmentOptions(values: [("--sandbox-pool", "8")]), for: "coding") == .init(size: 8, refill: 2))
        #expect(try SandboxPool.Settings(EnvironmentOptions(values: [("--sandbox-pool", "4"), ("--sandbox-pool-refill", "1")]), for: "terminal")
            == .init(size: 4, refill: 1))
        #expect(throws: EnvironmentOptionsError.self) { try SandboxPool.Settings(EnvironmentOptions(values: [("--sandbox-pool", "-1")]), for: "coding") }
        #expect(throws: EnvironmentOptionsError.self) { try SandboxPool.Settings(EnvironmentOptions(values: [("--sandbox-pool", "many")]), for: "coding") }
        #expect(throws: EnvironmentOptionsError.self) { try SandboxPool.Settings(EnvironmentOptions(values: [("--game", "catch")]), for: "coding") }
    }
}
