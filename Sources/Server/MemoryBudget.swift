import Expressions
import Foundation
import Synchronization

/// The bytes the server's requests may hold at once, in all: each request reserves what its work
/// may cost before doing it, and gives it back when its reply has been written (or dropped). A
/// request that would pass the budget is answered 503 with the reason, so concurrent big requests
/// cannot grow the process's memory beyond it (docs/serve.md, "Limits").
final class MemoryBudget: Sendable {
    /// The bytes all requests together may hold.
    let capacity: Int
    private let used = Atomic<Int>(0)

    init(capacity: Int) { self.capacity = capacity }

    /// The bytes reserved now.
    var inUse: Int { used.load(ordering: .relaxed) }

    /// Reserves `bytes`, or nil if that would pass the budget.
    func reserve(_ bytes: Int) -> Reservation? {
        let bytes = max(0, bytes)
        guard bytes <= capacity else { return nil }   // so that the sum below stays within 2 × capacity
        guard used.add(bytes, ordering: .relaxed).newValue <= capacity else {
            used.subtract(bytes, ordering: .relaxed)
            return nil
        }
        return Reservation(self, bytes)
    }

    fileprivate func release(_ bytes: Int) { used.subtract(bytes, ordering: .relaxed) }

    /// The 503 of a request that does not fit: what it needed and what the server holds.
    func refusal(_ bytes: Int, for what: String) -> Reply {
        .error("the server is busy: \(what) needs \(ByteCount.text(bytes)) of memory and \(ByteCount.text(inUse)) of the server's "
               + "\(ByteCount.text(capacity)) are held by other requests; try again in a moment", exitStatus: 1, httpStatus: 503)
    }

    /// The most one evaluation of the playground may hold: every value of a program and its
    /// gradient at the engine's limit per program (8 bytes an entry each), and its reply.
    static func evaluationBytes(replyLimit: Int) -> Int {
        let (values, overflow) = ExpressionLimits.entriesPerProgram.multipliedReportingOverflow(by: 16)
        return overflow ? .max / 2 : values + replyLimit
    }

    /// The default budget: half the machine's memory, between 512 MiB and 8 GiB.
    static var defaultCapacity: Int {
        let half = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
        return min(max(half, 512 << 20), 8 << 30)
    }
}

/// Bytes held from a `MemoryBudget`; given back once, by `release()` or when the last reference goes.
final class Reservation: Sendable {
    private let budget: MemoryBudget
    private let bytes: Int
    private let released = Atomic<Bool>(false)

    fileprivate init(_ budget: MemoryBudget, _ bytes: Int) { self.budget = budget; self.bytes = bytes }

    func release() {
        if !released.exchange(true, ordering: .relaxed) { budget.release(bytes) }
    }

    deinit { release() }
}

enum ByteCount {
    /// `512 B`, `64 kB`, `16.0 MB` (powers of 1024, as the limits are set).
    static func text(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1 << 20 { return "\(bytes >> 10) kB" }
        if bytes < 1 << 30 { return String(format: "%.1f MB", Double(bytes) / 1048576) }
        return String(format: "%.1f GB", Double(bytes) / 1073741824)
    }
}
