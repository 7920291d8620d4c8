import Autograd
import Dispatch
import Foundation
import Synchronization

/// Runs the engine's work off the server's event loops, a bounded number at a time, and answers
/// within a deadline.
///
/// A request that runs past the deadline is answered at once with 503. Work run with
/// `cancelling: true` (the playground's programs: trace, check, diagram) has the same deadline
/// bound (`EvaluationDeadline.current`), so every graph it builds stops at the next tensor
/// operation, backward step or gradient-check replay, and the work ends soon after (a single
/// tensor operation is not interrupted). Work that ends after the deadline, stopped or not, is
/// always answered 503, never with what it computed: a stopped computation's partial result never
/// leaves. The course's own work (lesson pages, exercise sets, grading) is not stopped: it fills
/// caches shared by later requests, which a stopped run must not leave half done; it is answered
/// 503 at the deadline and its result kept when it ends. Until its work ends a request holds its
/// slot, so slow requests can never pile up beyond `capacity`.
final class EvaluationGate: Sendable {
    /// How many evaluations may run or wait at once; beyond that a request is turned away (503).
    let capacity: Int
    /// How long a request waits for its evaluation.
    let deadline: Duration
    private let running = Atomic<Int>(0)
    /// The global queue, not a queue of our own: a private concurrent queue is "overcommit" and
    /// starts a new thread for every waiting item (300 threads at 300 connections, thrashing; 3,300
    /// traces/s measured), the global one keeps about one thread per core busy.
    private let queue = DispatchQueue.global(qos: .userInitiated)
    /// Deadlines are swept on a queue of their own, so that work filling every thread of `queue`
    /// cannot hold them back.
    private let deadlines = DispatchQueue(label: "backprop.serve.deadlines", qos: .userInteractive)
    /// The requests whose work has not answered yet: when each must be answered, and how.
    private let pending = Locked<[UInt64: (stop: ContinuousClock.Instant, expire: @Sendable () -> Void)]>([:])
    private let nextID = Atomic<UInt64>(0)
    /// One repeating timer looks for requests past their deadline every `GateTiming.sweepMilliseconds`. A timer
    /// per request (`asyncAfter`) kept Dispatch's manager thread at 4.5% of the server's CPU under
    /// the small trace (perf: `timerfd_settime` and its wake-ups), one more thread on two cores.
    private let sweeper: Sweeper

    init(capacity: Int, deadline: Duration) {
        self.capacity = capacity
        self.deadline = deadline
        let source = DispatchSource.makeTimerSource(queue: deadlines)
        sweeper = Sweeper(source)
        let tick = GateTiming.sweepMilliseconds
        source.schedule(deadline: .now() + .milliseconds(tick), repeating: .milliseconds(tick), leeway: .milliseconds(tick / 2))
        source.setEventHandler { [weak self] in self?.sweep() }
        source.resume()
    }

    deinit { sweeper.source.cancel() }

    /// The repeating timer, set up once in `init` and only cancelled afterwards, which Dispatch
    /// allows from any thread (its source types are not marked Sendable).
    private final class Sweeper: @unchecked Sendable {
        let source: DispatchSourceTimer
        init(_ source: DispatchSourceTimer) { self.source = source }
    }

    /// Answers every request past its deadline (each with its 503).
    private func sweep() {
        let now = ContinuousClock.now
        let expired = pending.withLock { pending -> [@Sendable () -> Void] in
            let late = pending.filter { $0.value.stop <= now }
            for id in late.keys { pending[id] = nil }
            return late.values.map(\.expire)
        }
        for expire in expired { expire() }
    }

    /// The number of evaluations holding a slot now.
    var busy: Int { running.load(ordering: .relaxed) }

    /// Runs `work` on a worker thread; the reply, or a JSON error if the gate is full or the deadline passes.
    func run(cancelling: Bool = false, _ work: @escaping @Sendable () -> Reply) async -> Reply {
        switch await result(cancelling: cancelling, work) { case .success(let reply): return reply; case .failure(let refusal): return refusal }
    }

    /// Runs `work` on a worker thread; its value, or the JSON error (503) if the gate is full or the deadline passes.
    /// With `cancelling`, the work's graphs stop at the deadline (`EvaluationDeadline`).
    func result<T: Sendable>(cancelling: Bool = false, _ work: @escaping @Sendable () -> T) async -> Result<T, Reply> {
        let now = running.add(1, ordering: .relaxed).newValue
        guard now <= capacity else {
            running.subtract(1, ordering: .relaxed)
            return .failure(Reply.error("the server is busy: \(capacity) evaluations are already running or waiting; try again in a moment",
                               exitStatus: 1, httpStatus: 503))
        }
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        let stop = ContinuousClock.now + deadline
        // Built only when it is sent: a JSON error per request would be waste on the fast path.
        let late = { @Sendable in Reply.error("the evaluation took longer than \(TimeFormat.seconds(seconds)); " + (cancelling ? "it was stopped" : "the server stopped waiting for it"),
                               exitStatus: 1, httpStatus: 503) }
        let once = Once<T>()
        let id = nextID.add(1, ordering: .relaxed).newValue
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, Reply>, Never>) in
            once.set(continuation)
            pending.withLock { $0[id] = (stop, { once.resume(.failure(late())) }) }
            queue.async {
                let value = cancelling ? EvaluationDeadline.$current.withValue(stop) { work() } : work()
                self.pending.withLock { $0[id] = nil }
                self.running.subtract(1, ordering: .relaxed)
                once.resume(ContinuousClock.now >= stop ? .failure(late()) : .success(value))
            }
        }
    }

    /// A continuation resumed by whichever comes first, the work or the deadline.
    private final class Once<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Result<T, Reply>, Never>?
        func set(_ continuation: CheckedContinuation<Result<T, Reply>, Never>) { lock.withLock { self.continuation = continuation } }
        /// `result` is computed only by the one that resumes: a late error is built only when sent.
        func resume(_ result: @autoclosure () -> Result<T, Reply>) {
            let taken = lock.withLock { defer { continuation = nil }; return continuation }
            taken?.resume(returning: result())
        }
    }
}

/// How often the gate looks for requests past their deadline: a 503 comes at most this late.
enum GateTiming {
    static let sweepMilliseconds = 10
}

/// Requests per second allowed from one client address: a token bucket per address.
///
/// A class behind one NAT shares an address, so the default is generous (`rate` 100 per second,
/// bursts of `2 × rate`); `rate` 0 turns the limit off (the load test measures the server itself).
final class ClientLimiter: Sendable {
    let rate: Double
    let burst: Double
    private let buckets = Locked<[String: (tokens: Double, time: Double)]>([:])

    /// `burst`: the bucket's size (default `2 × rate`).
    init(rate: Double, burst: Double? = nil) { self.rate = rate; self.burst = burst ?? 2 * rate }

    /// Takes `cost` more from `client`'s bucket without asking (a failed sign-in costs extra).
    func spend(_ client: String, _ cost: Double) {
        guard rate > 0 else { return }
        buckets.withLock { buckets in
            if var bucket = buckets[client] { bucket.tokens = max(-burst, bucket.tokens - cost); buckets[client] = bucket }
        }
    }

    /// Whether `client` may make one more request now (its bucket holds at least 1); takes `cost` from
    /// it if so (0: only asks).
    func allow(_ client: String, cost: Double = 1) -> Bool {
        guard rate > 0 else { return true }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        let burst = self.burst
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }   // forget idle clients rather than grow without bound
            var bucket = buckets[client] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.time) * rate)
            bucket.time = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= cost }
            buckets[client] = bucket
            return allowed
        }
    }
}

enum TimeFormat {
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
