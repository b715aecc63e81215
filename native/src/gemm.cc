#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "parallel.h"
#include "scratch.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define GM_X86 1
#include <immintrin.h>
#endif

namespace gm {
namespace {

// Block sizes: a kc x nr micro-panel of B stays in L1, an mc x kc block of A in L2, the
// kc x nc panel of B in L3. Each KC panel is one read and write of C (float64 either way), so KC is
// as large as L1 allows: float64 384 (a 24 KiB micro-panel of B in a 48 KiB L1; measured 5% faster
// than 256 on the 3k x 2048 covariance), float32 512 (16 KiB; its error bound assumes 512-term
// float32 sums, see float32DotError).
template <class P>
struct Blocking;
template <>
struct Blocking<double> {
  static constexpr int64_t KC = 384, MC = 192, NC = 1024;
};
template <>
struct Blocking<float> {
  static constexpr int64_t KC = 512, MC = 192, NC = 2048;
};
constexpr int64_t KC = Blocking<double>::KC;

// P is the type of the packed panels and of the micro-kernel's arithmetic (double, or float for the
// float32 products); C is float64 either way.
template <class P>
using KernelFn = void (*)(int64_t kc, const P* a, int64_t as, const P* b, double* c, int64_t ldc, double alpha);
template <class P>
struct Kernel {
  int mr, nr;
  KernelFn<P> fn;
  const char* name;
  bool fused;  // multiply-adds rounded once (FMA)
};

// C[mr x nr] += alpha * sum_p a[p] b[p]^T over micro-panels: b packed (kc x nr), a either packed
// (as = mr) or read in place from a column-major matrix (as = its leading dimension). The sum over
// one panel accumulates in P, then is widened and added to C.
template <class P, int MR, int NR>
void kernelGeneric(int64_t kc, const P* a, int64_t as, const P* b, double* c, int64_t ldc, double alpha) {
  P acc[NR][MR] = {};
  for (int64_t p = 0; p < kc; ++p, a += as, b += NR)
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) acc[j][i] += a[i] * b[j];
  for (int j = 0; j < NR; ++j)
    for (int i = 0; i < MR; ++i) c[j * ldc + i] += alpha * static_cast<double>(acc[j][i]);
}

#ifdef GM_X86
__attribute__((target("avx512f"))) void kernelAvx512(int64_t kc, const double* a, int64_t as, const double* b,
                                                       double* c, int64_t ldc, double alpha) {
  // 24 x 8: 24 accumulators, 3 loads of A and 8 broadcasts of B per step.
  __m512d acc[8][3];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) acc[j][0] = acc[j][1] = acc[j][2] = _mm512_setzero_pd();
  // C's 24 x 8 doubles are read at the end: fetch them while the products run.
  for (int j = 0; j < 8; ++j)
    for (int q = 0; q < 24; q += 8) _mm_prefetch(reinterpret_cast<const char*>(c + j * ldc + q), _MM_HINT_T0);
  for (int64_t p = 0; p < kc; ++p, a += as, b += 8) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * as), _MM_HINT_T0);
    const __m512d a0 = _mm512_loadu_pd(a), a1 = _mm512_loadu_pd(a + 8), a2 = _mm512_loadu_pd(a + 16);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const __m512d bj = _mm512_set1_pd(b[j]);
      acc[j][0] = _mm512_fmadd_pd(a0, bj, acc[j][0]);
      acc[j][1] = _mm512_fmadd_pd(a1, bj, acc[j][1]);
      acc[j][2] = _mm512_fmadd_pd(a2, bj, acc[j][2]);
    }
  }
  const __m512d al = _mm512_set1_pd(alpha);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    double* cj = c + j * ldc;
    _mm512_storeu_pd(cj, _mm512_fmadd_pd(al, acc[j][0], _mm512_loadu_pd(cj)));
    _mm512_storeu_pd(cj + 8, _mm512_fmadd_pd(al, acc[j][1], _mm512_loadu_pd(cj + 8)));
    _mm512_storeu_pd(cj + 16, _mm512_fmadd_pd(al, acc[j][2], _mm512_loadu_pd(cj + 16)));
  }
}

__attribute__((target("avx2,fma"))) void kernelAvx2(int64_t kc, const double* a, int64_t as, const double* b,
                                                      double* c, int64_t ldc, double alpha) {
  // 8 x 6: 12 accumulators, 2 loads of A and 6 broadcasts of B per step.
  __m256d acc[6][2];
#pragma GCC unroll 6
  for (int j = 0; j < 6; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_pd();
  for (int64_t p = 0; p < kc; ++p, a += as, b += 6) {
    const __m256d a0 = _mm256_loadu_pd(a), a1 = _mm256_loadu_pd(a + 4);
#pragma GCC unroll 6
    for (int j = 0; j < 6; ++j) {
      const __m256d bj = _mm256_broadcast_sd(b + j);
      acc[j][0] = _mm256_fmadd_pd(a0, bj, acc[j][0]);
      acc[j][1] = _mm256_fmadd_pd(a1, bj, acc[j][1]);
    }
  }
  const __m256d al = _mm256_set1_pd(alpha);
#pragma GCC unroll 6
  for (int j = 0; j < 6; ++j) {
    double* cj = c + j * ldc;
    _mm256_storeu_pd(cj, _mm256_fmadd_pd(al, acc[j][0], _mm256_loadu_pd(cj)));
    _mm256_storeu_pd(cj + 4, _mm256_fmadd_pd(al, acc[j][1], _mm256_loadu_pd(cj + 4)));
  }
}

// float32 kernels: float accumulators over one kc panel, widened to float64 when added to C.
// (GCC 12's own intrinsics trip -Wuninitialized on their _mm512_undefined_pd placeholders.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) inline void addWidened512(double* c, __m512 v, __m512d al) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  _mm512_storeu_pd(c, _mm512_fmadd_pd(al, _mm512_cvtps_pd(lo), _mm512_loadu_pd(c)));
  _mm512_storeu_pd(c + 8, _mm512_fmadd_pd(al, _mm512_cvtps_pd(hi), _mm512_loadu_pd(c + 8)));
}

__attribute__((target("avx512f"))) void kernelAvx512f(int64_t kc, const float* a, int64_t as, const float* b,
                                                        double* c, int64_t ldc, double alpha) {
  // 48 x 8: 24 accumulators of 16 floats, 3 loads of A and 8 broadcasts of B per step.
  __m512 acc[8][3];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) acc[j][0] = acc[j][1] = acc[j][2] = _mm512_setzero_ps();
  // C's 48 x 8 doubles (48 lines) are read at the end: fetch them while the products run.
  for (int j = 0; j < 8; ++j)
    for (int q = 0; q < 48; q += 8) _mm_prefetch(reinterpret_cast<const char*>(c + j * ldc + q), _MM_HINT_T0);
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p, a += as, b += 8) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * as), _MM_HINT_T0);
    const __m512 a0 = _mm512_loadu_ps(a), a1 = _mm512_loadu_ps(a + 16), a2 = _mm512_loadu_ps(a + 32);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      const __m512 bj = _mm512_set1_ps(b[j]);
      acc[j][0] = _mm512_fmadd_ps(a0, bj, acc[j][0]);
      acc[j][1] = _mm512_fmadd_ps(a1, bj, acc[j][1]);
      acc[j][2] = _mm512_fmadd_ps(a2, bj, acc[j][2]);
    }
  }
  const __m512d al = _mm512_set1_pd(alpha);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    double* cj = c + j * ldc;
    addWidened512(cj, acc[j][0], al);
    addWidened512(cj + 16, acc[j][1], al);
    addWidened512(cj + 32, acc[j][2], al);
  }
}

__attribute__((target("avx2,fma"))) inline void addWidened256(double* c, __m256 v, __m256d al) {
  _mm256_storeu_pd(c, _mm256_fmadd_pd(al, _mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_loadu_pd(c)));
  _mm256_storeu_pd(c + 4, _mm256_fmadd_pd(al, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), _mm256_loadu_pd(c + 4)));
}

__attribute__((target("avx2,fma"))) void kernelAvx2f(int64_t kc, const float* a, int64_t as, const float* b,
                                                       double* c, int64_t ldc, double alpha) {
  // 16 x 6: 12 accumulators of 8 floats, 2 loads of A and 6 broadcasts of B per step.
  __m256 acc[6][2];
#pragma GCC unroll 6
  for (int j = 0; j < 6; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, a += as, b += 6) {
    const __m256 a0 = _mm256_loadu_ps(a), a1 = _mm256_loadu_ps(a + 8);
#pragma GCC unroll 6
    for (int j = 0; j < 6; ++j) {
      const __m256 bj = _mm256_broadcast_ss(b + j);
      acc[j][0] = _mm256_fmadd_ps(a0, bj, acc[j][0]);
      acc[j][1] = _mm256_fmadd_ps(a1, bj, acc[j][1]);
    }
  }
  const __m256d al = _mm256_set1_pd(alpha);
#pragma GCC unroll 6
  for (int j = 0; j < 6; ++j) {
    double* cj = c + j * ldc;
    addWidened256(cj, acc[j][0], al);
    addWidened256(cj + 8, acc[j][1], al);
  }
}
#pragma GCC diagnostic pop
#endif

// The instruction set in use: GENMETRICS_KERNEL (for tests and benchmarks of the fallbacks) or the
// best the CPU has.
std::string pickLevel() {
  const char* force = std::getenv("GENMETRICS_KERNEL");
  const std::string want = force ? force : "";
#ifdef GM_X86
  __builtin_cpu_init();
  if ((want.empty() || want == "avx512") && __builtin_cpu_supports("avx512f")) return "avx512";
  if ((want.empty() || want == "avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
  return "generic";
}

const std::string& level() {
  static const std::string l = pickLevel();
  return l;
}

template <class P>
Kernel<P> pickKernel();

template <>
Kernel<double> pickKernel<double>() {
#ifdef GM_X86
  if (level() == "avx512") return {24, 8, kernelAvx512, "avx512", true};
  if (level() == "avx2") return {8, 6, kernelAvx2, "avx2", true};
#endif
  return {4, 4, kernelGeneric<double, 4, 4>, "generic", false};
}

template <>
Kernel<float> pickKernel<float>() {
#ifdef GM_X86
  if (level() == "avx512") return {48, 8, kernelAvx512f, "avx512", true};
  if (level() == "avx2") return {16, 6, kernelAvx2f, "avx2", true};
#endif
  return {8, 4, kernelGeneric<float, 8, 4>, "generic", false};
}

template <class P>
const Kernel<P>& kernel() {
  static const Kernel<P> k = pickKernel<P>();
  return k;
}

// Packs rows [0, m) x cols [0, kc) of a into micro-panels of mr rows: panel q holds
// a(q*mr + r, p) at [q*mr*kc + p*mr + r], zero-padded past m.
void packA(View a, int64_t m, int64_t kc, int mr, double* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += mr, dst += mr * kc) {
    const int64_t rows = std::min<int64_t>(mr, m - i0);
    if (a.rs == 1) {
      for (int64_t p = 0; p < kc; ++p) {
        const double* src = a.p + i0 + p * a.cs;
        double* d = dst + p * mr;
        for (int64_t r = 0; r < rows; ++r) d[r] = src[r];
        for (int64_t r = rows; r < mr; ++r) d[r] = 0.0;
      }
    } else {
      for (int64_t r = 0; r < mr; ++r) {
        double* d = dst + r;
        if (r < rows) {
          const double* src = a.p + (i0 + r) * a.rs;
          for (int64_t p = 0; p < kc; ++p) d[p * mr] = src[p * a.cs];
        } else {
          for (int64_t p = 0; p < kc; ++p) d[p * mr] = 0.0;
        }
      }
    }
  }
}

// Operands as the blocked loop sees them: matrices whose rows become micro-panels (A itself, and
// B transposed). pack() packs rows [i0, i0 + count) x columns [p0, p0 + kc); inPlaceStride() is
// the column stride when full micro-panels can be read where they lie (column-major), else 0.
struct ViewPanels {
  using Packed = double;
  View v;
  void pack(int64_t i0, int64_t count, int64_t p0, int64_t kc, int mr, double* dst) const {
    packA(v.at(i0, p0), count, kc, mr, dst);
  }
  int64_t inPlaceStride() const { return v.rs == 1 ? v.cs : 0; }
  const double* at(int64_t i, int64_t p) const { return v.p + i * v.rs + p * v.cs; }
  const double* prepacked(int64_t, int64_t) const { return nullptr; }
};

#ifdef GM_X86
// Columns p0 .. p0 + 8 of 8 float32 rows into 8 runs of 8 (dst + c * mr: column p0 + c of the
// rows): an 8 x 8 transpose in registers, for packing panels of float32 rows.
__attribute__((target("avx2"))) void transpose8x8(const float* const* src, int64_t p0, float* dst, int64_t mr) {
  __m256 r[8], t[8], q[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src[i] + p0);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    q[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    q[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    q[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    q[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    _mm256_storeu_ps(dst + c * mr, _mm256_permute2f128_ps(q[c], q[c + 4], 0x20));
    _mm256_storeu_ps(dst + (c + 4) * mr, _mm256_permute2f128_ps(q[c], q[c + 4], 0x31));
  }
}
#endif

// Feature rows (float32 or float64, optionally indexed), converted to P (widened to float64, or
// kept or rounded to float32) as they are packed.
template <class P>
struct RowPanels {
  using Packed = P;
  const Rows& rows;
  int64_t first;  // row `first` of `rows` is row 0 of the operand
  // Stacked operands: rows from `split` on are rows of *below (same element type as `rows`).
  const Rows* below = nullptr;
  int64_t split = INT64_MAX;
  template <class T>
  static void panel(const T* const* src, int64_t count, int64_t kc, int mr, P* dst) {
#ifdef GM_X86
    if (std::is_same<T, float>::value && std::is_same<P, float>::value && count == mr && mr % 8 == 0 &&
        level() != "generic") {
      // Full float32 panels: 8 x 8 blocks transposed in registers, the last columns one by one.
      const int64_t k8 = kc / 8 * 8;
      for (int64_t r0 = 0; r0 < mr; r0 += 8) {
        const float* const* rows = reinterpret_cast<const float* const*>(src) + r0;
        float* d = reinterpret_cast<float*>(dst) + r0;
        for (int64_t p = 0; p < k8; p += 8) transpose8x8(rows, p, d + p * mr, mr);
        for (int64_t p = k8; p < kc; ++p)
          for (int r = 0; r < 8; ++r) d[p * mr + r] = rows[r][p];
      }
      return;
    }
#endif
    if (sizeof(T) < sizeof(P)) {
      // Row by row: each narrow row is read and widened (or copied) in vector-wide runs.
      for (int64_t r = 0; r < mr; ++r) {
        P* d = dst + r;
        if (r < count) {
          const T* s = src[r];
          for (int64_t p = 0; p < kc; ++p) d[p * mr] = static_cast<P>(s[p]);
        } else {
          for (int64_t p = 0; p < kc; ++p) d[p * mr] = P(0);
        }
      }
      return;
    }
    // Column by column across the rows: sequential writes, mr read streams.
    for (int64_t p = 0; p < kc; ++p, dst += mr) {
      for (int64_t r = 0; r < count; ++r) dst[r] = static_cast<P>(src[r][p]);
      for (int64_t r = count; r < mr; ++r) dst[r] = P(0);
    }
  }
  void pack(int64_t i0, int64_t count, int64_t p0, int64_t kc, int mr, P* dst) const {
    const float* f[64];
    const double* g[64];
    for (int64_t q = 0; q < count; q += mr, dst += mr * kc) {
      const int64_t n = std::min<int64_t>(mr, count - q);
      for (int64_t r = 0; r < n; ++r) {
        const int64_t i = first + i0 + q + r;
        const Rows& from = i < split ? rows : *below;
        const int64_t src = from.source(i < split ? i : i - split) * from.d + p0;
        if (rows.f32) f[r] = from.f32 + src;
        else g[r] = from.f64 + src;
      }
      if (rows.f32) panel(f, n, kc, mr, dst);
      else panel(g, n, kc, mr, dst);
    }
  }
  int64_t inPlaceStride() const { return 0; }
  const P* at(int64_t, int64_t) const { return nullptr; }
  const P* prepacked(int64_t, int64_t) const { return nullptr; }
};

// An operand packed beforehand, whole, in the micro-panel layout of one side: the KC panel of
// columns [p0, p0 + kc) (p0 a multiple of KC, kc = min(KC, k - p0)) at data + p0 * rows, its rows
// in micro-panels of mr at i * kc (rows: a multiple of mr, zero rows past the operand's). The
// blocked loop reads it where it lies instead of packing its own copy.
struct PrepackedPanels {
  using Packed = double;
  const double* data;
  int64_t rows, k;
  // Where row i0's micro-panel of the panel from column p0 starts.
  static int64_t offset(int64_t rows, int64_t k, int64_t i0, int64_t p0) { return p0 * rows + i0 * std::min(Blocking<double>::KC, k - p0); }
  void pack(int64_t, int64_t, int64_t, int64_t, int, double*) const {}
  int64_t inPlaceStride() const { return 0; }
  const double* at(int64_t, int64_t) const { return nullptr; }
  const double* prepacked(int64_t i0, int64_t p0) const { return data + offset(rows, k, i0, p0); }
};

struct Rect {
  int64_t i0, i1, j0, j1;
};

// A scratch buffer of at least `count` elements of P.
template <class P>
struct Buffer {
  Scratch s;
  explicit Buffer(int64_t count) : s(static_cast<size_t>((count * static_cast<int64_t>(sizeof(P)) + 7) / 8)) {}
  P* data() const { return reinterpret_cast<P*>(s.data()); }
};

template <class A, class B>
void gemmBlock(const Rect& r, int64_t k, double alpha, const A& a, const B& bt, double* c, int64_t ldc, Part part,
               bool overwrite) {
  using P = typename A::Packed;
  const Kernel<P>& kr = kernel<P>();
  const int mr = kr.mr, nr = kr.nr;
  constexpr int64_t KC = Blocking<P>::KC, MC = Blocking<P>::MC;
  // Column blocks of whole micro-panels (an operand packed beforehand has them at multiples of nr
  // from its first row; rectangles start at such multiples), and row blocks likewise (MC is a
  // multiple of every mr).
  const int64_t NC = Blocking<P>::NC / nr * nr;
  const int64_t ncMax = std::min<int64_t>(NC, r.j1 - r.j0);
  Buffer<P> abuf((MC + mr) * KC), bbuf((ncMax + nr) * KC);
  double tmp[64 * 32];
  for (int64_t jc = r.j0; jc < r.j1; jc += NC) {
    const int64_t nc = std::min<int64_t>(NC, r.j1 - jc);
    // Rows above this column block's first column lie strictly above the diagonal. (A packed
    // beforehand starts its micro-panels at multiples of mr: from the one holding that row.)
    int64_t iStart = part == Part::Lower ? std::max(r.i0, jc) : r.i0;
    if (a.prepacked(0, 0)) iStart -= (iStart - r.i0) % mr;
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min<int64_t>(KC, k - pc);
      const P* bpanel = bt.prepacked(jc, pc);
      if (!bpanel) {
        bt.pack(jc, nc, pc, kc, nr, bbuf.data());
        bpanel = bbuf.data();
      }
      for (int64_t ic = iStart; ic < r.i1; ic += MC) {
        const int64_t mc = std::min<int64_t>(MC, r.i1 - ic);
        // With few columns each block of A is used a few times only: packing it would cost as
        // much as the products, so full micro-panels are read in place when A is column-major.
        const int64_t stride = a.inPlaceStride();
        const bool direct = stride != 0 && nc <= 64;
        const int64_t fullRows = direct ? mc / mr * mr : 0;
        const P* ablock = a.prepacked(ic, pc);
        if (!ablock) {
          if (!direct)
            a.pack(ic, mc, pc, kc, mr, abuf.data());
          else if (fullRows < mc)
            a.pack(ic + fullRows, mc - fullRows, pc, kc, mr, abuf.data() + fullRows * kc);
          ablock = abuf.data();
        }
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t col = jc + jr, cols = std::min<int64_t>(nr, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t row = ic + ir, rows = std::min<int64_t>(mr, mc - ir);
            if (part == Part::Lower && row + rows - 1 < col) continue;
            const bool inPlace = ir < fullRows;
            const P* ap = inPlace ? a.at(row, pc) : ablock + ir * kc;
            const int64_t as = inPlace ? stride : mr;
            const P* bp = bpanel + jr * kc;
            double* cp = c + col * ldc + row;
            // Overwriting: the first panel's tile is zeroed here, where it is about to be read
            // (in L1), not in a pass over all of C beforehand.
            const bool zero = overwrite && pc == 0;
            if (rows == mr && cols == nr) {
              if (zero)
                for (int64_t jj = 0; jj < nr; ++jj) std::fill(cp + jj * ldc, cp + jj * ldc + mr, 0.0);
              kr.fn(kc, ap, as, bp, cp, ldc, alpha);
            } else {
              // Edge tile: same arithmetic as a full one, through a padded copy of C, so that
              // results do not depend on where the thread partition puts the edges.
              std::fill(tmp, tmp + mr * nr, 0.0);
              if (!zero)
                for (int64_t jj = 0; jj < cols; ++jj)
                  for (int64_t ii = 0; ii < rows; ++ii) tmp[jj * mr + ii] = cp[jj * ldc + ii];
              kr.fn(kc, ap, as, bp, tmp, mr, alpha);
              for (int64_t jj = 0; jj < cols; ++jj)
                for (int64_t ii = 0; ii < rows; ++ii) cp[jj * ldc + ii] = tmp[jj * mr + ii];
            }
          }
        }
      }
    }
  }
}

// Cuts C into one rectangle per thread (about equal work).
template <class P>
std::vector<Rect> partition(int64_t m, int64_t n, Part part, int workers) {
  const Kernel<P>& kr = kernel<P>();
  std::vector<Rect> parts;
  if (part == Part::Lower) {
    // Column j of the lower triangle costs m - j: cut the columns into pieces of equal work.
    const int pieces = workers == 1 ? 1 : std::max(1, std::min<int>(2 * workers, static_cast<int>(n / kr.nr)));
    const double total = 0.5 * static_cast<double>(n) * (2.0 * m - n + 1);
    int64_t j = 0;
    for (int q = 1; q <= pieces && j < n; ++q) {
      int64_t end = n;
      if (q < pieces) {
        // Smallest end with the work of columns [0, end) >= q/pieces of the total.
        const double target = total * q / pieces;
        double lo = static_cast<double>(j), hi = static_cast<double>(n);
        for (int it = 0; it < 60; ++it) {
          double mid = 0.5 * (lo + hi);
          (mid * (m - 0.5 * mid) >= target ? hi : lo) = mid;
        }
        end = std::min<int64_t>(n, (static_cast<int64_t>(hi) + kr.nr - 1) / kr.nr * kr.nr);
      }
      if (end > j) parts.push_back({0, m, j, end});
      j = end;
    }
  } else if (n >= m) {
    const int64_t step = std::max<int64_t>(kr.nr, (n / workers + kr.nr - 1) / kr.nr * kr.nr);
    for (int64_t j = 0; j < n; j += step) parts.push_back({0, m, j, std::min(n, j + step)});
  } else {
    const int64_t step = std::max<int64_t>(kr.mr, (m / workers + kr.mr - 1) / kr.mr * kr.mr);
    for (int64_t i = 0; i < m; i += step) parts.push_back({i, std::min(m, i + step), 0, n});
  }
  return parts;
}

template <class A, class B>
void run(int64_t m, int64_t n, int64_t k, double alpha, const A& a, const B& bt, double* c, int64_t ldc, Part part,
         int threads, bool overwrite = false) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const int workers = resolveThreads(threads);
  const std::vector<Rect> parts = partition<typename A::Packed>(m, n, part, workers);
  // Small products are not worth a thread.
  const double flops = 2.0 * m * n * k;
  const int use = flops < 4e6 ? 1 : workers;
  parallelFor(static_cast<long>(parts.size()), use,
              [&](long t) { gemmBlock(parts[t], k, alpha, a, bt, c, ldc, part, overwrite); });
}

// DotGroup entries (i, j_q) of gemmRows' float64 product, with the same operations in the same
// order: per KC panel a chain of multiply-adds from zero (fused when the kernel fuses), then the
// panel sums added to C from zero, panel after panel. The chains run side by side (one chain alone
// is bound by the latency of its multiply-adds); the rows are widened as they are read.
constexpr int DotGroup = 8;
template <class T, class U>
void dotsLikeKernel(const T* x, const U* y, const int64_t* rows, int64_t k, bool fused, double* c) {
  const U* ys[DotGroup];
  for (int q = 0; q < DotGroup; ++q) {
    ys[q] = y + rows[q];
    c[q] = 0.0;
  }
  for (int64_t pc = 0; pc < k; pc += KC) {
    const int64_t end = std::min<int64_t>(k, pc + KC);
    double acc[DotGroup] = {};
    for (int64_t p = pc; p < end; ++p) {
      const double xp = static_cast<double>(x[p]);
      if (fused)
        for (int q = 0; q < DotGroup; ++q) acc[q] = std::fma(xp, static_cast<double>(ys[q][p]), acc[q]);
      else
        for (int q = 0; q < DotGroup; ++q) acc[q] = acc[q] + xp * static_cast<double>(ys[q][p]);
    }
    for (int q = 0; q < DotGroup; ++q) c[q] = c[q] + acc[q];
  }
}

}  // namespace

const char* gemmKernelName() { return kernel<double>().name; }

void gemm(int64_t m, int64_t n, int64_t k, double alpha, View a, View b, double* c, int64_t ldc, Part part,
          int threads) {
  run(m, n, k, alpha, ViewPanels{a}, ViewPanels{b.t()}, c, ldc, part, threads);
}

void gemmRows(int64_t m, int64_t n, const Rows& a, int64_t i0, const Rows& b, int64_t j0, double* c, int64_t ldc,
              Part part, int threads, Precision precision, bool overwrite) {
  if (precision == Precision::Float32)
    run(m, n, a.d, 1.0, RowPanels<float>{a, i0}, RowPanels<float>{b, j0}, c, ldc, part, threads, overwrite);
  else
    run(m, n, a.d, 1.0, RowPanels<double>{a, i0}, RowPanels<double>{b, j0}, c, ldc, part, threads, overwrite);
}

void gemmRowsStacked(const Rows& top, const Rows& bottom, double* c, int64_t ldc, int threads, Precision precision,
                     bool overwrite) {
  if (!top.f32 != !bottom.f32 || top.d != bottom.d)
    throw std::invalid_argument("gemmRowsStacked: the two row sets differ in element type or width");
  const int64_t n = top.n + bottom.n;
  if (precision == Precision::Float32) {
    const RowPanels<float> z{top, 0, &bottom, top.n};
    run(n, n, top.d, 1.0, z, z, c, ldc, Part::Lower, threads, overwrite);
  } else {
    const RowPanels<double> z{top, 0, &bottom, top.n};
    run(n, n, top.d, 1.0, z, z, c, ldc, Part::Lower, threads, overwrite);
  }
}

template <class T>
void centredRankUpdate(const T* rows, int64_t m, int64_t d, const double* shift, double* sums, double* c, int64_t ldc,
                       int threads) {
  if (m <= 0 || d <= 0) return;
  const Kernel<double>& kr = kernel<double>();
  const int64_t mr = kr.mr, nr = kr.nr, KC = Blocking<double>::KC;
  const int64_t rowsA = (d + mr - 1) / mr * mr, rowsB = (d + nr - 1) / nr * nr;
  Scratch a(static_cast<size_t>(rowsA * m)), b(static_cast<size_t>(rowsB * m));
  // Blocks of columns made of whole micro-panels of both layouts (a multiple of mr and of nr), one
  // thread each; within a block, row after row, so each column's sum keeps the rows' order.
  int64_t unit = mr;
  while (unit % nr) unit += mr;
  const int64_t width = (128 + unit - 1) / unit * unit;
  const int64_t padded = std::max(rowsA, rowsB);
  parallelFor(static_cast<long>((padded + width - 1) / width), threads, [&](long blk) {
    const int64_t c0 = blk * width, c1 = std::min(padded, c0 + width), live = std::max<int64_t>(0, std::min(d, c1) - c0);
    std::vector<double> v(static_cast<size_t>(c1 - c0), 0.0);  // this row's centred values, zero past d
    for (int64_t p = 0; p < m; ++p) {
      const T* row = rows + p * d + c0;
      for (int64_t q = 0; q < live; ++q) {
        v[q] = static_cast<double>(row[q]) - shift[c0 + q];
        sums[c0 + q] += v[q];
      }
      // Column p - p0 of panel p0 in each layout: mr (nr) values per micro-panel.
      const int64_t p0 = p / KC * KC, pp = p - p0;
      const auto scatter = [&](double* layout, int64_t rowsL, int64_t w) {
        for (int64_t i = c0; i < std::min(c1, rowsL); i += w) {
          double* dst = layout + PrepackedPanels::offset(rowsL, m, i, p0) + pp * w;
          for (int64_t r = 0; r < w; ++r) dst[r] = v[i - c0 + r];
        }
      };
      scatter(a.data(), rowsA, mr);
      scatter(b.data(), rowsB, nr);
    }
  });
  run(d, d, m, 1.0, PrepackedPanels{a.data(), rowsA, m}, PrepackedPanels{b.data(), rowsB, m}, c, ldc, Part::Lower, threads);
}

template void centredRankUpdate<float>(const float*, int64_t, int64_t, const double*, double*, double*, int64_t, int);
template void centredRankUpdate<double>(const double*, int64_t, int64_t, const double*, double*, double*, int64_t, int);

double gemmRowsDot(const Rows& a, int64_t i, const Rows& b, int64_t j) {
  double out;
  gemmRowsDots(a, i, b, &j, 1, &out);
  return out;
}

void gemmRowsDots(const Rows& a, int64_t i, const Rows& b, const int64_t* js, int64_t count, double* out) {
  const bool fused = kernel<double>().fused;
  const int64_t k = a.d;
  const int64_t ra = a.source(i) * k;
  for (int64_t q0 = 0; q0 < count; q0 += DotGroup) {
    const int g = static_cast<int>(std::min<int64_t>(DotGroup, count - q0));
    int64_t rb[DotGroup];
    for (int q = 0; q < DotGroup; ++q) rb[q] = b.source(js[q0 + std::min(q, g - 1)]) * k;
    double c[DotGroup];
    if (a.f32 && b.f32) dotsLikeKernel(a.f32 + ra, b.f32, rb, k, fused, c);
    else if (a.f32) dotsLikeKernel(a.f32 + ra, b.f64, rb, k, fused, c);
    else if (b.f32) dotsLikeKernel(a.f64 + ra, b.f32, rb, k, fused, c);
    else dotsLikeKernel(a.f64 + ra, b.f64, rb, k, fused, c);
    for (int q = 0; q < g; ++q) out[q0 + q] = c[q];
  }
}

double float32DotError(int64_t k) {
  // Rounding the inputs to float32 (when they are float64): 2u + u^2 per product; a chain of at most
  // kc float32 multiply-adds: gamma_KC = KC u / (1 - KC u) (Higham, Accuracy and Stability of
  // Numerical Algorithms, eq. 3.5); widening and the float64 additions of the panel sums, and the
  // float64 product it is compared with: below (k / KC64 + kc + 2) 2^-53 each. Slack of 1%.
  const double u = std::ldexp(1.0, -24), u64 = std::ldexp(1.0, -53);
  const double kc = static_cast<double>(Blocking<float>::KC);
  const double chain = kc * u / (1.0 - kc * u);
  return 1.01 * (2 * u + u * u + chain + 2 * (static_cast<double>(k) / Blocking<double>::KC + kc + 2) * u64);
}

}  // namespace gm
