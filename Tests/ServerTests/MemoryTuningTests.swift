import Testing
@testable import Server

/// The allocator's settings for serving: a C file once compiled them away without anyone noticing.
@Suite("serve: the allocator's settings")
struct MemoryTuningTests {
    @Test("after MemoryTuning.forServing, glibc serves a 1 MB block from the heap, not an mmap of its own")
    func tuningIsInEffect() throws {
        #if canImport(Glibc)
        MemoryTuning.forServing()
        #expect(MemoryTuning.isInEffect == true)
        #endif
    }
}
