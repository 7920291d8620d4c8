// Graphviz's C API as one Clang module: the layout/render context (libgvc) and the graph
// library with the DOT parser (libcgraph). Flags come from pkg-config's `libgvc`
// (`-I/usr/include/graphviz -lgvc -lcgraph -lcdt`); Debian: libgraphviz-dev.
#ifndef CGRAPHVIZ_SHIM_H
#define CGRAPHVIZ_SHIM_H

#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>

/// Caps the drawing size of a laid-out graph so a bitmap of it is at most `max_pixels` on each
/// side, at the graph's own dpi or `default_dpi` if it sets none.
///
/// This is what the `size` attribute does (Graphviz scales the drawing down to fit), set after
/// layout because `size` is only read during layout; a smaller `size` of the graph's own is kept.
/// Without it, cairo's PNG renderer shrinks drawings over 32767 pixels itself and says so with
/// a bare `fprintf(stderr, ...)` that cannot be redirected. Graphviz reaches this record through
/// macros (`GD_drawing`) that Swift cannot import, hence C.
/// Returns 1 if it changed the size, 0 if not; call it only after a successful `gvLayout`.
static inline int cgraphviz_cap_bitmap_size(Agraph_t *g, double max_pixels, double default_dpi) {
    if (g == NULL || max_pixels <= 0) return 0;
    /* Look the layout record up (size 0: never create it) and bring it to the front, as
       gvFreeLayout does, so GD_* reads the right record. */
    Agraphinfo_t *info = (Agraphinfo_t *)agbindrec(g, (char *)"Agraphinfo_t", 0, TRUE);
    if (info == NULL || info->drawing == NULL) return 0;
    double dpi = info->drawing->dpi > 0 ? info->drawing->dpi : default_dpi;
    if (dpi <= 0) return 0;
    double cap = max_pixels * 72.0 / dpi;  /* points */
    pointf *size = &info->drawing->size;
    if (size->x <= 0.001 || size->y <= 0.001) {  /* no size (Graphviz ignores a half-set one) */
        size->x = cap;
        size->y = cap;
        return 1;
    }
    int changed = 0;
    if (size->x > cap) { size->x = cap; changed = 1; }
    if (size->y > cap) { size->y = cap; changed = 1; }
    return changed;
}

#endif
