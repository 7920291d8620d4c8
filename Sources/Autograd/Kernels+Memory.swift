import CKernels

extension Kernels {
    /// glibc's allocator, set for a server that answers thousands of requests a second, each with
    /// buffers of 64 kB to 150 kB (a 100-node trace's JSON, the reply's ByteBuffer): by default glibc
    /// serves blocks from 128 kB with mmap, and gives the free top of a worker thread's heap back to the
    /// system (madvise) to fault it in again a moment later: up to 20 page faults per 102-node reply.
    ///
    /// Until 2026-12-03 this did nothing: the C file tested `__GLIBC__` before including any header
    /// that defines it, so `ck_memory_tune_for_serving` compiled to an empty function (the gain measured
    /// for the commit that added it came from that commit's other change, or from settings given another
    /// way). Working, it takes the page faults to 0.2 per reply and the server's CPU per reply down by
    /// about a tenth (AMD EPYC Zen 4, docs/performance.md). It returns how many settings glibc accepted,
    /// so that a test can tell.
    @discardableResult
    public static func tuneAllocatorForServing() -> Int { Int(ck_memory_tune_for_serving()) }
}
