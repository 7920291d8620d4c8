/* The allocator's settings for `backprop serve` (Sources/Server/WorkbenchServer.swift, MemoryTuning). */
#include "ckernels.h"

/* A C library header first: glibc defines __GLIBC__ in <features.h>, which every one of its headers
   includes. Tested before any was included, the check was false and this file compiled to nothing
   (found 2026-12-03: the server ran with glibc's defaults, 20 page faults per 102-node reply). */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ck_memory_tune_for_serving(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    /* Each arena grows 16 MB at a time: fewer mprotect calls as the worker threads' arenas grow.
       Address space only; pages not touched take no memory. */
    mallopt(M_TOP_PAD, 16 << 20);
#endif
}

int ck_memory_is_mapped_alone(size_t bytes) {
#if defined(__GLIBC__)
    struct mallinfo2 before = mallinfo2();
    void *block = malloc(bytes);
    if (block == NULL) return -1;
    ((volatile char *)block)[0] = 1;
    struct mallinfo2 during = mallinfo2();
    free(block);
    return during.hblks > before.hblks ? 1 : 0;
#else
    (void)bytes;
    return -1;
#endif
}
