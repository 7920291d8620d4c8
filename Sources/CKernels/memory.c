/* The allocator's settings for `backprop serve` (Autograd's `Kernels.tuneAllocatorForServing`, called by Sources/Server/WorkbenchServer.swift). */
#include "ckernels.h"

/* A C library header first: glibc defines __GLIBC__ in <features.h>, which every one of its headers
   includes. Tested before any was included, the check was false and this file compiled to nothing
   (found 2026-12-03: the server ran with glibc's defaults, 20 page faults per 102-node reply). */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int ck_memory_tune_for_serving(void) {
#if defined(__GLIBC__)
    int accepted = 0;
    accepted += mallopt(M_MMAP_THRESHOLD, 4 << 20);
    accepted += mallopt(M_TRIM_THRESHOLD, 64 << 20);
    /* Each arena grows 16 MB at a time: fewer mprotect calls as the worker threads' arenas grow.
       Address space only; pages not touched take no memory. */
    accepted += mallopt(M_TOP_PAD, 16 << 20);
    return accepted;
#else
    return 0;
#endif
}
