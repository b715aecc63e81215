#!/usr/bin/env python3
"""Writes test/fixtures/images-formats/: small BMP, PGM and PPM images in the variants PIL reads
(BMP 24-bit, 32-bit, 8-bit palette, 1-bit, bottom-up and top-down; PNM binary P5/P6 and ascii
P2/P3, maxval 255 and smaller, 16-bit) and reference.json: PIL's Image.open(f).convert('RGB')
bytes of each (what pytorch-fid and clean-fid feed their networks), base64, with the size.

Run with Debian's python3-pil: /usr/bin/python3 scripts/make_format_fixtures.py
"""
import base64
import json
import os
import struct

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "images-formats")


def pnm(path, magic, w, h, maxval, values):
    """A PNM written by hand: header, then binary (big-endian for maxval > 255) or ascii samples."""
    head = f"{magic}\n# genmetrics fixture\n{w} {h}\n{maxval}\n".encode()
    if magic in ("P5", "P6"):
        body = values.astype(">u2" if maxval > 255 else np.uint8).tobytes()
    else:
        body = ("\n".join(" ".join(str(int(v)) for v in row) for row in values.reshape(h, -1)) + "\n").encode()
    with open(path, "wb") as f:
        f.write(head + body)


def bmp_top_down(path, rgb):
    """A 24-bit BMP with a negative height (rows stored top to bottom)."""
    h, w, _ = rgb.shape
    stride = (w * 3 + 3) & ~3
    rows = b"".join(rgb[y, :, ::-1].tobytes() + b"\0" * (stride - w * 3) for y in range(h))
    info = struct.pack("<IiiHHIIiiII", 40, w, -h, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    head = struct.pack("<2sIHHI", b"BM", 14 + 40 + len(rows), 0, 0, 54)
    with open(path, "wb") as f:
        f.write(head + info + rows)


def main():
    os.makedirs(OUT, exist_ok=True)
    rs = np.random.RandomState(7)
    rgb = rs.randint(0, 256, (5, 7, 3)).astype(np.uint8)  # odd width: row padding
    Image.fromarray(rgb).save(os.path.join(OUT, "rgb24.bmp"))
    Image.fromarray(rgb).convert("RGBA").save(os.path.join(OUT, "rgba32.bmp"))
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=16).save(os.path.join(OUT, "palette8.bmp"))
    Image.fromarray(rgb).convert("1").save(os.path.join(OUT, "mono1.bmp"))
    Image.fromarray(rgb).convert("L").save(os.path.join(OUT, "gray8.bmp"))
    bmp_top_down(os.path.join(OUT, "topdown24.bmp"), rgb)
    gray = rs.randint(0, 256, (6, 5))
    pnm(os.path.join(OUT, "gray_p5.pgm"), "P5", 5, 6, 255, gray)
    pnm(os.path.join(OUT, "gray_p2.pgm"), "P2", 5, 6, 255, gray)
    pnm(os.path.join(OUT, "gray_p5_max100.pgm"), "P5", 5, 6, 100, gray % 101)
    pnm(os.path.join(OUT, "gray_p5_max10.pgm"), "P5", 11, 1, 10, np.arange(11))  # x.5 ties: half to even
    pnm(os.path.join(OUT, "gray_p5_16bit.pgm"), "P5", 5, 6, 1000, rs.randint(0, 1001, (6, 5)))
    col = rs.randint(0, 256, (4, 3, 3))
    pnm(os.path.join(OUT, "rgb_p6.ppm"), "P6", 3, 4, 255, col)
    pnm(os.path.join(OUT, "rgb_p3.ppm"), "P3", 3, 4, 255, col)
    pnm(os.path.join(OUT, "rgb_p6_max31.ppm"), "P6", 3, 4, 31, col % 32)
    pnm(os.path.join(OUT, "rgb_p6_16bit.ppm"), "P6", 3, 4, 65535, rs.randint(0, 65536, (4, 3, 3)))
    ref = {}
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".json"):
            continue
        try:
            im = Image.open(os.path.join(OUT, name)).convert("RGB")
            ref[name] = {"width": im.width, "height": im.height, "rgb": base64.b64encode(im.tobytes()).decode()}
        except Exception as e:  # noqa: BLE001 - recorded: genmetrics must refuse it as well
            ref[name] = {"error": f"{type(e).__name__}: {e}"}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "images": ref}, f, indent=1)


if __name__ == "__main__":
    main()
