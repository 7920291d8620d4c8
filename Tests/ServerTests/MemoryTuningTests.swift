import Testing
@testable import Server

/// The allocator's settings for serving: a C file once compiled them away without anyone noticing.
@Suite("serve: the allocator's settings")
struct MemoryTuningTests {
    @Test("MemoryTuning.forServing gets all three of its settings accepted by glibc")
    func tuningIsInEffect() {
        #if canImport(Glibc)
        #expect(MemoryTuning.forServing() == 3)
        #endif
    }
}
