#!/usr/bin/env python3
"""The graph of an exported model without its weights: every initializer kept with its name, type
and dims but no data. `genmetrics models install` fills them from the published checkpoint, so the
package ships the architecture (a few hundred KB) and never any weights.

Usage: python3 scripts/onnx_skeleton.py MODEL.onnx OUT.graph.onnx [KEEP_REGEX]   (needs Debian's python3-onnx)
KEEP_REGEX: initializers that are constants of the architecture, not weights (LPIPS's scaling layer),
kept with their values.
"""
import re
import sys

import onnx


def main(src: str, dst: str, keep: str = "") -> None:
    m = onnx.load(src)
    kept, constants = [], []
    for t in m.graph.initializer:
        if keep and re.match(keep, t.name):
            constants.append(t)
            continue
        s = onnx.TensorProto()
        s.name, s.data_type = t.name, t.data_type
        s.dims.extend(t.dims)
        kept.append(s)
    # The graph lists the initializers it expects (names, dims) as metadata; the tensors themselves
    # are appended at install time.
    del m.graph.initializer[:]
    m.graph.initializer.extend(constants)
    for s in kept:
        e = m.metadata_props.add()
        e.key, e.value = f"initializer:{s.name}", f"{s.data_type}:{','.join(str(d) for d in s.dims)}"
    onnx.save(m, dst)


if __name__ == "__main__":
    main(*sys.argv[1:4])
