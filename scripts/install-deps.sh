#!/usr/bin/env bash
# Installs, through apt, the system packages the Backprop Workbench needs that are missing:
#   pkg-config       to find the libraries below (SwiftPM's systemLibrary targets use it)
#   libgraphviz-dev  Graphviz's C libraries (libgvc, libcgraph) and headers; it pulls in libgvc6,
#                    whose plugins do the "dot" layout, SVG (core) and PNG/PDF (cairo/pango)
#   libopenblas-dev  BLAS for the kernels layer (Sources/Autograd/Kernels.swift loads libopenblas.so.0 with
#                    dlopen, its core chosen from the CPU's ISA; the -dev part is for scripts/sgemm-shapes.c)
#   libdnnl-dev      oneDNN 2.6, the training path's convolutions (Sources/CKernels/convolution.c includes
#                    its header and loads libdnnl.so.2 with dlopen; without it, im2col + sgemm)
#   zlib1g-dev       zlib, to read the gzipped data sets (pkg-config name: zlib)
#   libsqlite3-dev   SQLite, where `backprop serve` stores answer attempts (through GRDB; pkg-config name: sqlite3)
#   chromium         headless browser for the HTML stepper
# With --with-wrk it also installs wrk, the HTTP load generator of scripts/load-serve.sh (only that
# script needs it; make test does not).
# Prints nothing and installs nothing when everything is present. Uses sudo only when not root.
set -euo pipefail

missing=()

have_pkg_config=true
if ! command -v pkg-config >/dev/null 2>&1; then
    have_pkg_config=false
    missing+=(pkg-config)
fi

# need_library PKG_CONFIG_NAME DEBIAN_PACKAGE: queue the package if the library is not found
# (asking dpkg instead while pkg-config itself is missing).
need_library() {
    if $have_pkg_config; then
        pkg-config --exists "$1" && return 0
    else
        dpkg-query -W -f='${Status}' "$2" 2>/dev/null | grep -q 'ok installed' && return 0
    fi
    missing+=("$2")
}

need_library libgvc libgraphviz-dev
need_library openblas libopenblas-dev
need_library zlib zlib1g-dev
need_library sqlite3 libsqlite3-dev
# oneDNN ships no pkg-config file: look for its header.
[ -e /usr/include/oneapi/dnnl/dnnl.h ] || missing+=(libdnnl-dev)

# PNG and PDF come from Graphviz's cairo plugin, in libgvc6 (a dependency of libgraphviz-dev).
if $have_pkg_config && pkg-config --exists libgvc; then
    plugin_dir="$(pkg-config --variable=libdir libgvc)/graphviz"
    plugin_version="$(pkg-config --variable=plugins libgvc)"
    if [ ! -e "$plugin_dir/libgvplugin_pango.so.${plugin_version:-6}" ]; then
        missing+=(libgvc6)
    fi
fi

command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${1:-}" = "--with-wrk" ]; then command -v wrk >/dev/null 2>&1 || missing+=(wrk); fi

[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
        exit 1
    fi
    sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
