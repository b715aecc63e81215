#include "resize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace gm {
namespace {

// A per-thread buffer that keeps its pages between images (first touches of fresh memory are
// slow on some VMs; the planes are a few hundred KiB per image).
std::vector<float>& threadBuffer(int which, size_t size) {
  thread_local std::vector<float> buffers[2];
  if (buffers[which].size() < size) buffers[which].resize(size);
  return buffers[which];
}

// Channel c of pixel p, as PIL's convert("RGB") reads it: gray is replicated, alpha dropped.
inline uint8_t sample(const ImageView& im, size_t p, int c) {
  return im.channels < 3 ? im.data[p * im.channels] : im.data[p * im.channels + c];
}

// --- pytorch-fid: torch's upsample_bilinear2d, align_corners=False ---------------------------------
// Source index (dst + 0.5) * in/out - 0.5 clamped at 0, in float32 as ATen computes it for float
// tensors; the neighbour is index+1 unless at the edge; lambda1 = frac, lambda0 = 1 - lambda1.
struct LinearTap {
  int i0, i1;
  float w0, w1;
};

std::vector<LinearTap> torchBilinearTaps(int in, int out) {
  std::vector<LinearTap> taps(out);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int d = 0; d < out; ++d) {
    float src = scale * (static_cast<float>(d) + 0.5f) - 0.5f;
    if (src < 0.f) src = 0.f;
    const int i0 = static_cast<int>(src);
    const int i1 = i0 < in - 1 ? i0 + 1 : i0;
    const float l1 = std::min(std::max(src - static_cast<float>(i0), 0.f), 1.f);
    taps[d] = {i0, i1, 1.f - l1, l1};
  }
  return taps;
}

void resizeTorchBilinear(const ImageView& im, int size, bool normalize, float* out) {
  const auto tx = torchBilinearTaps(im.width, size), ty = torchBilinearTaps(im.height, size);
  const size_t plane = static_cast<size_t>(im.width) * im.height;
  std::vector<float>& src = threadBuffer(0, plane);
  // The width pass of a source row does not depend on the output row, so each source row is
  // interpolated along x once (ATen nests height outermost: out = h(r0) * w0 + h(r1) * w1 with
  // h(r) = r[i0] * l0 + r[i1] * l1, the same operations in the same order, so the same bits).
  std::vector<float>& wide = threadBuffer(1, static_cast<size_t>(im.height) * size);
  const float scale = normalize ? 2.f : 255.f, shift = normalize ? -1.f : 0.f;
  for (int c = 0; c < 3; ++c) {
    // ToTensor(): uint8 / 255 in float32.
    for (size_t p = 0; p < plane; ++p) src[p] = static_cast<float>(sample(im, p, c)) / 255.f;
    for (int r = 0; r < im.height; ++r) {
      const float* row = &src[static_cast<size_t>(r) * im.width];
      float* h = &wide[static_cast<size_t>(r) * size];
      for (int x = 0; x < size; ++x) h[x] = row[tx[x].i0] * tx[x].w0 + row[tx[x].i1] * tx[x].w1;
    }
    float* o = out + static_cast<size_t>(c) * size * size;
    for (int y = 0; y < size; ++y) {
      const float* h0 = &wide[static_cast<size_t>(ty[y].i0) * size];
      const float* h1 = &wide[static_cast<size_t>(ty[y].i1) * size];
      const float w0 = ty[y].w0, w1 = ty[y].w1;
      float* oy = o + static_cast<size_t>(y) * size;
      // 2v - 1 (normalised) or v * 255 + 0 (exact: adding zero changes no product).
      for (int x = 0; x < size; ++x) oy[x] = (h0[x] * w0 + h1[x] * w1) * scale + shift;
    }
  }
}

// --- torch-fidelity: TF1 ResizeBilinear, align_corners=False --------------------------------------
// src = dst * (in/out) in float32 (no half-pixel offset), lo = trunc(src), hi = min(lo+1, in-1),
// then lerps along x and y in torch-fidelity's order.
struct TfTap {
  int lo, hi;
  float frac;
};

std::vector<TfTap> tfTaps(int in, int out) {
  std::vector<TfTap> taps(out);
  const float scale = static_cast<float>(static_cast<double>(in) / static_cast<double>(out));
  for (int d = 0; d < out; ++d) {
    const float src = static_cast<float>(d) * scale;
    const int lo = static_cast<int>(src);
    taps[d] = {lo, std::min(lo + 1, in - 1), src - static_cast<float>(lo)};
  }
  return taps;
}

void resizeTf1Bilinear(const ImageView& im, int size, bool normalize, float* out) {
  const auto tx = tfTaps(im.width, size), ty = tfTaps(im.height, size);
  const size_t plane = static_cast<size_t>(im.width) * im.height;
  std::vector<float>& src = threadBuffer(0, plane);
  // The lerp along x of a source row is shared by every output row that reads it: computed once.
  std::vector<float>& wide = threadBuffer(1, static_cast<size_t>(im.height) * size);
  for (int c = 0; c < 3; ++c) {
    for (size_t p = 0; p < plane; ++p) src[p] = static_cast<float>(sample(im, p, c));
    for (int r = 0; r < im.height; ++r) {
      const float* row = &src[static_cast<size_t>(r) * im.width];
      float* h = &wide[static_cast<size_t>(r) * size];
      for (int x = 0; x < size; ++x) h[x] = row[tx[x].lo] + (row[tx[x].hi] - row[tx[x].lo]) * tx[x].frac;
    }
    float* o = out + static_cast<size_t>(c) * size * size;
    for (int y = 0; y < size; ++y) {
      const float* top = &wide[static_cast<size_t>(ty[y].lo) * size];
      const float* bottom = &wide[static_cast<size_t>(ty[y].hi) * size];
      const float dy = ty[y].frac;
      float* oy = o + static_cast<size_t>(y) * size;
      if (normalize)
        for (int x = 0; x < size; ++x) oy[x] = (top[x] + (bottom[x] - top[x]) * dy - 128.f) / 128.f;
      else
        for (int x = 0; x < size; ++x) oy[x] = top[x] + (bottom[x] - top[x]) * dy;
    }
  }
}

// --- clean-fid: PIL's Image.resize(BICUBIC) on mode 'F' -----------------------------------------
// Pillow's separable resampling (Resample.c): support 2 (a = -0.5) widened by the scale when
// shrinking (antialias), weights normalised to sum 1, products accumulated in double and stored as
// float32 after each pass; horizontal pass first, each pass skipped when that size is unchanged.
double bicubic(double x) {
  const double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct Kernel {
  int taps;                    // coefficients per output sample
  std::vector<int> first;      // first input index per output sample
  std::vector<int> count;      // inputs used per output sample
  std::vector<double> weight;  // out x taps
};

Kernel pilCoefficients(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  Kernel k;
  k.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  k.first.resize(out);
  k.count.resize(out);
  k.weight.assign(static_cast<size_t>(out) * k.taps, 0.0);
  for (int d = 0; d < out; ++d) {
    const double center = (d + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int lo = static_cast<int>(center - support + 0.5);  // truncation, as Pillow's (int) cast
    if (lo < 0) lo = 0;
    int hi = static_cast<int>(center + support + 0.5);
    if (hi > in) hi = in;
    const int n = hi - lo;
    double* w = &k.weight[static_cast<size_t>(d) * k.taps];
    double total = 0.0;
    for (int i = 0; i < n; ++i) {
      w[i] = bicubic((i + lo - center + 0.5) * ss);
      total += w[i];
    }
    if (total != 0.0)
      for (int i = 0; i < n; ++i) w[i] /= total;
    k.first[d] = lo;
    k.count[d] = n;
  }
  return k;
}

void resizePilBicubic(const ImageView& im, int size, bool normalize, float* out) {
  const int W = im.width, H = im.height;
  const size_t plane = static_cast<size_t>(W) * H;
  const bool horizontal = W != size, vertical = H != size;
  const Kernel kx = horizontal ? pilCoefficients(W, size) : Kernel{};
  const Kernel ky = vertical ? pilCoefficients(H, size) : Kernel{};
  std::vector<float>& src = threadBuffer(0, plane);
  std::vector<float>& mid = threadBuffer(1, static_cast<size_t>(size) * H);
  for (int c = 0; c < 3; ++c) {
    for (size_t p = 0; p < plane; ++p) src[p] = static_cast<float>(sample(im, p, c));
    // Horizontal pass: W x H -> size x H (or the source itself when the width already fits).
    const float* rows = src.data();
    if (horizontal) {
      for (int y = 0; y < H; ++y) {
        const float* r = &src[static_cast<size_t>(y) * W];
        for (int x = 0; x < size; ++x) {
          const double* w = &kx.weight[static_cast<size_t>(x) * kx.taps];
          const float* s = r + kx.first[x];
          double acc = 0.0;
          for (int i = 0; i < kx.count[x]; ++i) acc += static_cast<double>(s[i]) * w[i];
          mid[static_cast<size_t>(y) * size + x] = static_cast<float>(acc);
        }
      }
      rows = mid.data();
    }
    float* o = out + static_cast<size_t>(c) * size * size;
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        float v;
        if (vertical) {
          const double* w = &ky.weight[static_cast<size_t>(y) * ky.taps];
          double acc = 0.0;
          for (int i = 0; i < ky.count[y]; ++i)
            acc += static_cast<double>(rows[static_cast<size_t>(ky.first[y] + i) * size + x]) * w[i];
          v = static_cast<float>(acc);
        } else {
          v = rows[static_cast<size_t>(y) * size + x];
        }
        v = std::min(std::max(v, 0.f), 255.f);  // clean-fid clips the float result to 0..255
        o[static_cast<size_t>(y) * size + x] = normalize ? (v - 128.f) / 128.f : v;
      }
    }
  }
}

}  // namespace

void preprocessImage(const ImageView& image, ResizeMode mode, int size, bool normalize, float* out) {
  if (image.width <= 0 || image.height <= 0) throw std::invalid_argument("image has no pixels");
  if (image.channels < 1 || image.channels > 4)
    throw std::invalid_argument("expected 1 to 4 channels, got " + std::to_string(image.channels));
  if (size <= 0) throw std::invalid_argument("output size must be positive");
  switch (mode) {
    case ResizeMode::LegacyPytorch:
      return resizeTorchBilinear(image, size, normalize, out);
    case ResizeMode::LegacyTensorflow:
      return resizeTf1Bilinear(image, size, normalize, out);
    case ResizeMode::Clean:
      return resizePilBicubic(image, size, normalize, out);
  }
}

}  // namespace gm
