// Image preprocessing for the Inception network: RGB conversion, resize, normalisation, each mode
// matching one reference tool's arithmetic (float32 where the tool uses float32, double where PIL
// accumulates in double).
#pragma once
#include <cstdint>

namespace gm {

enum class ResizeMode {
  // pytorch-fid: RGB/255, F.interpolate(bilinear, align_corners=False, no antialias), then 2x-1.
  LegacyPytorch,
  // torch-fidelity / TTUR: TF1 ResizeBilinear (src = dst*in/out, no half-pixel offset), then (x-128)/128.
  LegacyTensorflow,
  // clean-fid: PIL bicubic (antialiased when shrinking) per channel in float, clip 0..255, then (x-128)/128.
  Clean,
};

// One decoded image: `channels` interleaved uint8 samples per pixel (1 = L, 2 = LA, 3 = RGB, 4 = RGBA).
struct ImageView {
  const uint8_t* data;
  int width;
  int height;
  int channels;
};

// Resizes to size x size and writes three float32 planes (CHW) on the network's scale. With
// `normalize` false the planes stay on the 0..255 scale of the mode's resize (for inspection and
// tests: clean-fid's `make_resizer` output before its (x-128)/128).
void preprocessImage(const ImageView& image, ResizeMode mode, int size, bool normalize, float* out);

}  // namespace gm
