import Foundation
import Testing
import Autograd

/// The allocator's settings for serving: a C file once compiled them away without anyone noticing.
@Suite("the allocator's settings for serving")
struct AllocatorTuningTests {
    /// Under `make sanitize` (BACKPROP_SANITIZED) the sanitizer's allocator replaces glibc's, and its
    /// `mallopt` accepts none of glibc's settings: there is nothing of glibc's to tune, so the test
    /// holds only for the allocator the server really runs on.
    @Test("Kernels.tuneAllocatorForServing gets all three of its settings accepted by glibc",
          .enabled(if: ProcessInfo.processInfo.environment["BACKPROP_SANITIZED"] == nil, "a sanitizer's allocator replaces glibc's"))
    func tuningIsInEffect() {
        #if canImport(Glibc)
        #expect(Kernels.tuneAllocatorForServing() == 3)
        #endif
    }
}
