#!/usr/bin/env python3
"""Writes the .npz files Tests/CLITests/ValuesFileCommandTests reads (run once, with numpy; the files are committed).

    python3 scripts/npz-fixtures.py Tests/CLITests/Fixtures/npz
"""
import sys, zipfile
import numpy as np

out = sys.argv[1]
np.savez(f"{out}/stored.npz", x=np.array([1.0, 2.0, 3.0]), W=np.arange(6, dtype=np.float64).reshape(2, 3))
np.savez_compressed(f"{out}/compressed.npz", x=np.array([1.0, 2.0, 3.0]), W=np.arange(6, dtype=np.float32).reshape(2, 3))
# 800 kB of zeros in a 1 kB file: refused when BACKPROP_MAX_DATA_BYTES is below what it inflates to.
np.savez_compressed(f"{out}/zeros.npz", x=np.zeros(100_000))
with zipfile.ZipFile(f"{out}/traversal.npz", "w") as archive:
    archive.writestr("../x.npy", b"\x93NUMPY")
np.savez(f"{out}/strings.npz", x=np.array(["a"]))
