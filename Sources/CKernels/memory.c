/* The allocator's settings for `backprop serve` (Sources/Server/WorkbenchServer.swift, MemoryTuning). */
#include "ckernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ck_memory_tune_for_serving(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
