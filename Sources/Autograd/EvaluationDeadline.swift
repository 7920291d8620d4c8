/// A time after which the engine stops a computation: the server's 2 s per request.
///
/// A graph takes the deadline in force where it is created (`Graph.deadline`) and checks it before
/// every tensor operation, at every tensor node of backward and before every replay of the
/// gradient check: a clock read each time, nothing on the scalar fast path (a program of scalars
/// small enough to send cannot run for long; a tensor operation can take a good part of a second).
/// Past it, `apply` and `backward` throw `AutogradError.deadlinePassed`.
///
/// ```swift
/// let stop = ContinuousClock.now + .seconds(2)
/// let program = try EvaluationDeadline.$current.withValue(stop) { try Expressions.evaluate(source) }
/// ```
/// Without a deadline (the command line, training) nothing is checked.
public enum EvaluationDeadline {
    /// The deadline graphs created now take; nil: none. Bound with `$current.withValue(_:operation:)`,
    /// which works in synchronous code on any thread as well as in tasks.
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// Whether `deadline` is set and has passed.
    @inline(__always)
    public static func passed(_ deadline: ContinuousClock.Instant?) -> Bool {
        guard let deadline else { return false }
        return ContinuousClock.now >= deadline
    }
}
