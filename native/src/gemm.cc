#include "gemm.h"

#include <algorithm>
#include <cstdlib>
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
// kc x nc panel of B in L3.
constexpr int64_t KC = 256;
constexpr int64_t MC = 192;
constexpr int64_t NC = 1024;

using KernelFn = void (*)(int64_t kc, const double* a, int64_t as, const double* b, double* c, int64_t ldc,
                         double alpha);
struct Kernel {
  int mr, nr;
  KernelFn fn;
  const char* name;
};

// C[mr x nr] += alpha * sum_p a[p] b[p]^T over micro-panels: b packed (kc x nr), a either packed
// (as = mr) or read in place from a column-major matrix (as = its leading dimension).
template <int MR, int NR>
void kernelGeneric(int64_t kc, const double* a, int64_t as, const double* b, double* c, int64_t ldc, double alpha) {
  double acc[NR][MR] = {};
  for (int64_t p = 0; p < kc; ++p, a += as, b += NR)
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) acc[j][i] += a[i] * b[j];
  for (int j = 0; j < NR; ++j)
    for (int i = 0; i < MR; ++i) c[j * ldc + i] += alpha * acc[j][i];
}

#ifdef GM_X86
__attribute__((target("avx512f"))) void kernelAvx512(int64_t kc, const double* a, int64_t as, const double* b,
                                                       double* c, int64_t ldc, double alpha) {
  // 24 x 8: 24 accumulators, 3 loads of A and 8 broadcasts of B per step.
  __m512d acc[8][3];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) acc[j][0] = acc[j][1] = acc[j][2] = _mm512_setzero_pd();
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
#endif

Kernel pickKernel() {
  const char* force = std::getenv("GENMETRICS_KERNEL");  // for tests and benchmarks of the fallbacks
  const std::string want = force ? force : "";
#ifdef GM_X86
  __builtin_cpu_init();
  if ((want.empty() || want == "avx512") && __builtin_cpu_supports("avx512f")) return {24, 8, kernelAvx512, "avx512"};
  if ((want.empty() || want == "avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {8, 6, kernelAvx2, "avx2"};
#endif
  return {4, 4, kernelGeneric<4, 4>, "generic"};
}

const Kernel& kernel() {
  static const Kernel k = pickKernel();
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
  View v;
  void pack(int64_t i0, int64_t count, int64_t p0, int64_t kc, int mr, double* dst) const {
    packA(v.at(i0, p0), count, kc, mr, dst);
  }
  int64_t inPlaceStride() const { return v.rs == 1 ? v.cs : 0; }
  const double* at(int64_t i, int64_t p) const { return v.p + i * v.rs + p * v.cs; }
};

// Feature rows (float32 or float64, optionally indexed), widened to float64 as they are packed.
struct RowPanels {
  const Rows& rows;
  int64_t first;  // row `first` of `rows` is row 0 of the operand
  template <class T>
  static void panel(const T* const* src, int64_t count, int64_t kc, int mr, double* dst) {
    if (std::is_same<T, float>::value) {
      // Row by row: each float32 row is read and widened in vector-wide runs.
      for (int64_t r = 0; r < mr; ++r) {
        double* d = dst + r;
        if (r < count) {
          const T* s = src[r];
          for (int64_t p = 0; p < kc; ++p) d[p * mr] = static_cast<double>(s[p]);
        } else {
          for (int64_t p = 0; p < kc; ++p) d[p * mr] = 0.0;
        }
      }
      return;
    }
    // Column by column across the rows: sequential writes, mr read streams.
    for (int64_t p = 0; p < kc; ++p, dst += mr) {
      for (int64_t r = 0; r < count; ++r) dst[r] = static_cast<double>(src[r][p]);
      for (int64_t r = count; r < mr; ++r) dst[r] = 0.0;
    }
  }
  void pack(int64_t i0, int64_t count, int64_t p0, int64_t kc, int mr, double* dst) const {
    const float* f[32];
    const double* g[32];
    for (int64_t q = 0; q < count; q += mr, dst += mr * kc) {
      const int64_t n = std::min<int64_t>(mr, count - q);
      for (int64_t r = 0; r < n; ++r) {
        const int64_t src = rows.source(first + i0 + q + r) * rows.d + p0;
        if (rows.f32) f[r] = rows.f32 + src;
        else g[r] = rows.f64 + src;
      }
      if (rows.f32) panel(f, n, kc, mr, dst);
      else panel(g, n, kc, mr, dst);
    }
  }
  int64_t inPlaceStride() const { return 0; }
  const double* at(int64_t, int64_t) const { return nullptr; }
};

struct Rect {
  int64_t i0, i1, j0, j1;
};

template <class A, class B>
void gemmBlock(const Rect& r, int64_t k, double alpha, const A& a, const B& bt, double* c, int64_t ldc, Part part) {
  const Kernel& kr = kernel();
  const int mr = kr.mr, nr = kr.nr;
  const int64_t ncMax = std::min<int64_t>(NC, r.j1 - r.j0);
  Scratch abuf((MC + mr) * KC), bbuf((ncMax + nr) * KC);
  double tmp[32 * 32];
  for (int64_t jc = r.j0; jc < r.j1; jc += NC) {
    const int64_t nc = std::min<int64_t>(NC, r.j1 - jc);
    // Rows above this column block's first column lie strictly above the diagonal.
    const int64_t iStart = part == Part::Lower ? std::max(r.i0, jc) : r.i0;
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min<int64_t>(KC, k - pc);
      bt.pack(jc, nc, pc, kc, nr, bbuf.data());
      for (int64_t ic = iStart; ic < r.i1; ic += MC) {
        const int64_t mc = std::min<int64_t>(MC, r.i1 - ic);
        // With few columns each block of A is used a few times only: packing it would cost as
        // much as the products, so full micro-panels are read in place when A is column-major.
        const int64_t stride = a.inPlaceStride();
        const bool direct = stride != 0 && nc <= 64;
        const int64_t fullRows = direct ? mc / mr * mr : 0;
        if (!direct)
          a.pack(ic, mc, pc, kc, mr, abuf.data());
        else if (fullRows < mc)
          a.pack(ic + fullRows, mc - fullRows, pc, kc, mr, abuf.data() + fullRows * kc);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t col = jc + jr, cols = std::min<int64_t>(nr, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t row = ic + ir, rows = std::min<int64_t>(mr, mc - ir);
            if (part == Part::Lower && row + rows - 1 < col) continue;
            const bool inPlace = ir < fullRows;
            const double* ap = inPlace ? a.at(row, pc) : abuf.data() + ir * kc;
            const int64_t as = inPlace ? stride : mr;
            const double* bp = bbuf.data() + jr * kc;
            double* cp = c + col * ldc + row;
            if (rows == mr && cols == nr) {
              kr.fn(kc, ap, as, bp, cp, ldc, alpha);
            } else {
              // Edge tile: same arithmetic as a full one, through a padded copy of C, so that
              // results do not depend on where the thread partition puts the edges.
              std::fill(tmp, tmp + mr * nr, 0.0);
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
std::vector<Rect> partition(int64_t m, int64_t n, Part part, int workers) {
  const Kernel& kr = kernel();
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
         int threads) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const int workers = resolveThreads(threads);
  const std::vector<Rect> parts = partition(m, n, part, workers);
  // Small products are not worth a thread.
  const double flops = 2.0 * m * n * k;
  const int use = flops < 4e6 ? 1 : workers;
  parallelFor(static_cast<long>(parts.size()), use,
              [&](long t) { gemmBlock(parts[t], k, alpha, a, bt, c, ldc, part); });
}

}  // namespace

const char* gemmKernelName() { return kernel().name; }

void gemm(int64_t m, int64_t n, int64_t k, double alpha, View a, View b, double* c, int64_t ldc, Part part,
          int threads) {
  run(m, n, k, alpha, ViewPanels{a}, ViewPanels{b.t()}, c, ldc, part, threads);
}

void gemmRows(int64_t m, int64_t n, const Rows& a, int64_t i0, const Rows& b, int64_t j0, double* c, int64_t ldc,
              Part part, int threads) {
  run(m, n, a.d, 1.0, RowPanels{a, i0}, RowPanels{b, j0}, c, ldc, part, threads);
}

}  // namespace gm
