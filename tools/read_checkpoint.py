#!/usr/bin/env python3
"""Prints an enu checkpoint's header and array shapes, read with numpy alone.

Usage: read_checkpoint.py CHECKPOINT.npz   (format: docs/checkpoint.md)
"""
import sys

import numpy as np


def main(path):
    with np.load(path) as checkpoint:
        # Members that are not .npy come back as raw bytes.
        print(checkpoint["header.yaml"].decode("utf-8"), end="")
        print(f"config.yaml: {len(checkpoint['config.yaml'])} bytes")
        for name in ("theta", "moment1", "moment2"):
            array = checkpoint[name]
            print(f"{name}: shape {array.shape} dtype {array.dtype}")
        theta = checkpoint["theta"]
        if theta.size:
            # 9 significant digits name a float32 exactly.
            print(f"theta[0] = {float(theta[0]):.9g}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    main(sys.argv[1])
