#!/usr/bin/env python3
"""The graph of an exported model without its weights: every initializer kept with its name, type
and dims but no data. `genmetrics models install` fills them from the published checkpoint, so the
package ships the architecture (a few hundred KB) and never any weights.

Usage: python3 scripts/onnx_skeleton.py MODEL.onnx OUT.graph.onnx   (needs Debian's python3-onnx)
"""
import sys

import onnx


def main(src: str, dst: str) -> None:
    m = onnx.load(src)
    kept = []
    for t in m.graph.initializer:
        s = onnx.TensorProto()
        s.name, s.data_type = t.name, t.data_type
        s.dims.extend(t.dims)
        kept.append(s)
    # The graph lists the initializers it expects (names, dims) as metadata; the tensors themselves
    # are appended at install time.
    del m.graph.initializer[:]
    for s in kept:
        e = m.metadata_props.add()
        e.key, e.value = f"initializer:{s.name}", f"{s.data_type}:{','.join(str(d) for d in s.dims)}"
    onnx.save(m, dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
