import Foundation

/// A value behind a lock: the API of `Synchronization.Mutex` on `NSLock` (a pthread mutex), so that
/// ThreadSanitizer sees the locking. On Linux, Swift 6.3's `Mutex` locks with atomics and futexes
/// that ThreadSanitizer does not see: `make sanitize` reported the gate's table, read and written
/// only under its `Mutex`, as a race, and a 15-line program of four threads under a `Mutex` gives
/// the same report where the same program with `NSLock` gives none (docs/reliability.md).
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
