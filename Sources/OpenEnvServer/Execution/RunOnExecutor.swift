/// Runs `body` on `executor`, or where the caller runs when it is `nil`; the caller waits for
/// it, and cancelling the caller cancels it.
///
/// Why not `withTaskExecutorPreference(executor) { … }`: a preference only moves work at the
/// next enqueue, and a body that never suspends or enters an actor (a
/// ``SynchronousEnvironment``'s call, or an environment's initializer) would run on the
/// caller's thread, the event loop. A task that prefers `executor` starts there.
func runOnExecutor<T: Sendable>(_ executor: (any TaskExecutor)?, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let executor else { return try await body() }
    let work = Task(executorPreference: executor) { try await body() }
    return try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
}
