/// The task executor that tasks spawned on behalf of a request should prefer.
///
/// Unstructured tasks do not inherit their creator's executor preference, so the tasks of
/// ``withDeadline(_:_:onTimeout:)`` would otherwise run on the global concurrent pool: a
/// thread hop and a wake-up for every deadline-bounded call. A server binds ``current`` to
/// the executor of a connection's tasks (its event loop), and deadlines spawn their tasks
/// there too. `nil` (the default) means the global pool.
public enum PreferredExecutor {
    @TaskLocal public static var current: (any TaskExecutor)?
}
