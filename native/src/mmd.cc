#include "mmd.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "gemm.h"

#include "parallel.h"
#include "scratch.h"

namespace gm {
namespace {

inline double power(double t, double degree) {
  if (degree == 3) return t * t * t;
  if (degree == 2) return t * t;
  if (degree == 1) return t;
  return std::pow(t, degree);
}

inline double kernelAt(const Tile& t, int64_t i, int64_t j, const KernelSpec& k) {
  if (k.kind == KernelSpec::Poly) return power(k.gamma * t.dot(i, j) + k.coef0, k.degree);
  return std::exp(-t.squaredDistance(i, j) / (2.0 * k.sigma * k.sigma));
}

// Sum of K(i, j) over rows [i0, i1) of column j of a tile. The polynomial kernel in eight
// independent partial sums (a loop the compiler vectorises; the kernel evaluations are 3% of KID's
// time otherwise), the RBF kernel one by one.
double columnSum(const Tile& t, int64_t j, int64_t i0, int64_t i1, const KernelSpec& k) {
  if (k.kind != KernelSpec::Poly || k.degree != 3) {
    double s = 0;
    for (int64_t i = i0; i < i1; ++i) s += kernelAt(t, i, j, k);
    return s;
  }
  const double* g = t.g + j * t.rows;
  const double gamma = k.gamma, c0 = k.coef0;
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8)
    for (int l = 0; l < 8; ++l) {
      const double v = gamma * g[i + l] + c0;
      acc[l] += v * v * v;
    }
  double rest = 0;
  for (; i < i1; ++i) {
    const double v = gamma * g[i] + c0;
    rest += v * v * v;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + rest;
}

struct Sum {
  double all = 0, diag = 0;
};

// Sum of K over a x b (or, symmetric, over a x a using each off-diagonal tile twice) and over
// the diagonal i == j.
Sum tileSums(const Rows& a, const Rows& b, bool symmetric, const KernelSpec& k, const PairwiseOptions& o) {
  std::vector<Sum> sums(static_cast<size_t>(tileWorkers(o)));
  forEachTile(a, b, symmetric, o, [&](const Tile& t, int w) {
    double all = 0, diag = 0;
    for (int64_t j = 0; j < t.cols; ++j) {
      // Column sums first (a shorter chain of additions). Diagonal tiles of a symmetric pass hold
      // their lower triangle (i > j) and the diagonal.
      all += columnSum(t, j, t.diagonal ? j + 1 : 0, t.rows, k);
      const int64_t i = t.j0 + j - t.i0;
      if (i >= 0 && i < t.rows) diag += kernelAt(t, i, j, k);
    }
    // In a symmetric pass every off-diagonal pair counts twice.
    sums[w].all += symmetric ? 2 * all + (t.diagonal ? diag : 0) : all;
    sums[w].diag += diag;
  });
  Sum s;
  for (const Sum& p : sums) {
    s.all += p.all;
    s.diag += p.diag;
  }
  return s;
}

}  // namespace

KernelSums kernelSums(const Rows& x, const Rows& y, const KernelSpec& k, const PairwiseOptions& o) {
  // One progress scale over the three passes.
  PairwiseOptions po = o;
  int64_t before = 0;
  const auto tiles = [&](int64_t n, int64_t m, bool sym) {
    const int64_t a = (n + o.tile - 1) / o.tile, b = (m + o.tile - 1) / o.tile;
    return sym ? a * (a + 1) / 2 : a * b;
  };
  const int64_t total = tiles(x.n, x.n, true) + tiles(y.n, y.n, true) + tiles(x.n, y.n, false);
  if (o.progress) po.progress = [&](int64_t done, int64_t) { o.progress(before + done, total); };
  KernelSums r;
  Sum s = tileSums(x, x, true, k, po);
  r.xx = s.all, r.xxDiag = s.diag;
  before += tiles(x.n, x.n, true);
  s = tileSums(y, y, true, k, po);
  r.yy = s.all, r.yyDiag = s.diag;
  before += tiles(y.n, y.n, true);
  s = tileSums(x, y, false, k, po);
  r.xy = s.all, r.xyDiag = s.diag;
  return r;
}

namespace {

// Index of (i, j), i >= j, in a packed lower triangle.
inline size_t tri(int64_t i, int64_t j) { return static_cast<size_t>(i) * static_cast<size_t>(i + 1) / 2 + static_cast<size_t>(j); }

// K over a x a (packed lower triangle) or over a x b (row-major a.n x b.n), tile by tile.
void kernelMatrix(const Rows& a, const Rows& b, bool symmetric, const KernelSpec& k, const PairwiseOptions& o, double* out) {
  forEachTile(a, b, symmetric, o, [&](const Tile& t, int) {
    for (int64_t j = 0; j < t.cols; ++j) {
      const int64_t c = t.j0 + j;
      for (int64_t i = t.diagonal ? j : 0; i < t.rows; ++i) {
        const int64_t r = t.i0 + i;
        const double v = kernelAt(t, i, j, k);
        if (symmetric) out[r >= c ? tri(r, c) : tri(c, r)] = v;
        else out[static_cast<size_t>(r) * b.n + c] = v;
      }
    }
  });
}

std::vector<KernelSums> kernelSumsSubsetsDense(const Rows& x, const Rows& y, const uint32_t* idxX, const uint32_t* idxY,
                                               int64_t subsets, int64_t m, const KernelSpec& k, const PairwiseOptions& o) {
  const int64_t nx = x.n, ny = y.n;
  // Every entry is written by kernelMatrix, so the memory is not zeroed first: a zeroing pass over
  // the 400 MB of 5000 rows per side took a second of 4 KiB first-touch faults on one thread here;
  // huge pages, touched by the tiles' threads, take a few hundred.
  HugeArray kxx(tri(nx, 0), false), kyy(tri(ny, 0), false), kxy(static_cast<size_t>(nx) * ny, false);
  // One progress scale: the three matrices' tiles, then the subsets.
  const auto tiles = [&](int64_t n, int64_t p, bool sym) {
    const int64_t a = (n + o.tile - 1) / o.tile, b = (p + o.tile - 1) / o.tile;
    return sym ? a * (a + 1) / 2 : a * b;
  };
  const int64_t total = tiles(nx, nx, true) + tiles(ny, ny, true) + tiles(nx, ny, false) + subsets;
  int64_t before = 0;
  PairwiseOptions po = o;
  if (o.progress) po.progress = [&](int64_t done, int64_t) { o.progress(before + done, total); };
  kernelMatrix(x, x, true, k, po, kxx.data());
  before += tiles(nx, nx, true);
  kernelMatrix(y, y, true, k, po, kyy.data());
  before += tiles(ny, ny, true);
  kernelMatrix(x, y, false, k, po, kxy.data());
  before += tiles(nx, ny, false);

  std::vector<KernelSums> out(static_cast<size_t>(subsets));
  std::mutex progressLock;
  int64_t done = 0;
  parallelForWorkers(subsets, o.threads, [&](long s, int) {
    const uint32_t* ix = idxX + s * m;
    const uint32_t* iy = idxY + s * m;
    KernelSums r;
    for (int64_t a = 0; a < m; ++a) r.xyDiag += kxy[static_cast<size_t>(ix[a]) * ny + iy[a]];
    // Sorted rows read the matrices in order (the sums do not depend on the pairing).
    std::vector<uint32_t> sx(ix, ix + m), sy(iy, iy + m);
    std::sort(sx.begin(), sx.end());
    std::sort(sy.begin(), sy.end());
    double xxOff = 0, yyOff = 0;
    for (int64_t a = 0; a < m; ++a) {
      const size_t ra = tri(sx[a], 0), qa = tri(sy[a], 0);
      double col = 0, colY = 0, cross = 0;
      for (int64_t b = 0; b < a; ++b) {
        col += kxx[ra + sx[b]];
        colY += kyy[qa + sy[b]];
      }
      const double* row = kxy.data() + static_cast<size_t>(sx[a]) * ny;
      for (int64_t b = 0; b < m; ++b) cross += row[sy[b]];
      xxOff += col;
      yyOff += colY;
      r.xy += cross;
      r.xxDiag += kxx[ra + sx[a]];
      r.yyDiag += kyy[qa + sy[a]];
    }
    r.xx = 2 * xxOff + r.xxDiag;
    r.yy = 2 * yyOff + r.yyDiag;
    out[s] = r;
    if (o.progress) {
      std::lock_guard<std::mutex> lock(progressLock);
      o.progress(before + ++done, total);
    }
  });
  return out;
}

}  // namespace

std::vector<KernelSums> kernelSumsSubsets(const Rows& x, const Rows& y, const uint32_t* idxX, const uint32_t* idxY,
                                          int64_t subsets, int64_t m, const KernelSpec& k, const PairwiseOptions& o) {
  if (x.d != y.d) throw std::invalid_argument("the two sets have different dimensions");
  std::vector<KernelSums> out(static_cast<size_t>(subsets));
  if (m <= 0) return out;
  if (o.dense) return kernelSumsSubsetsDense(x, y, idxX, idxY, subsets, m, k, o);
  const int64_t n = 2 * m;
  // Each subset fills the lower triangle of G = Z Z^T (float64) for Z = [X_s; Y_s] (2m x d), whose
  // blocks are X_s X_s^T, Y_s X_s^T and Y_s Y_s^T: one symmetric product of the drawn rows where
  // they lie (packed from the indices, in float32 or float64 as o.precision), overwriting G. The
  // diagonal holds the squared norms. Per worker: G, 2m x 2m doubles.
  struct Buffers {
    Scratch g;
    std::vector<double> norms;
    explicit Buffers(int64_t n) : g(static_cast<size_t>(n * n)), norms(n) {}
  };
  std::vector<std::unique_ptr<Buffers>> buffers(static_cast<size_t>(workersFor(subsets, o.threads)));
  std::mutex progressLock;
  int64_t done = 0;
  parallelForWorkers(subsets, o.threads, [&](long s, int w) {
    auto& b = buffers[w];
    if (!b) b = std::make_unique<Buffers>(n);
    Rows xs = x, ys = y;
    xs.idx = idxX + s * m;
    ys.idx = idxY + s * m;
    xs.n = ys.n = m;
    double* g = b->g.data();  // column-major n x n: (i, j) at g[j * n + i]
    if (!xs.f32 == !ys.f32) {
      gemmRowsStacked(xs, ys, g, n, 1, o.precision, true);
    } else {  // float32 and float64 rows: one product per block
      gemmRows(m, m, xs, 0, xs, 0, g, n, Part::Lower, 1, o.precision, true);
      gemmRows(m, m, ys, 0, xs, 0, g + m, n, Part::Full, 1, o.precision, true);
      gemmRows(m, m, ys, 0, ys, 0, g + m * n + m, n, Part::Lower, 1, o.precision, true);
    }
    // The squared norms (RBF only): the diagonal of a float64 G; in float32 from the rows in float64,
    // as the tiled passes take them.
    if (k.kind == KernelSpec::Rbf) {
      if (o.precision == Precision::Float32) {
        const std::vector<double> nx = xs.squaredNorms(), ny = ys.squaredNorms();
        std::copy(nx.begin(), nx.end(), b->norms.begin());
        std::copy(ny.begin(), ny.end(), b->norms.begin() + m);
      } else {
        for (int64_t i = 0; i < n; ++i) b->norms[i] = g[i * n + i];
      }
    }
    const Tile t{0, 0, n, n, g, b->norms.data(), b->norms.data(), true};
    KernelSums r;
    double xxOff = 0, yyOff = 0;
    for (int64_t j = 0; j < m; ++j) {
      xxOff += columnSum(t, j, j + 1, m, k);
      r.xy += columnSum(t, j, m, n, k);
      r.xxDiag += kernelAt(t, j, j, k);
      r.xyDiag += kernelAt(t, j + m, j, k);
    }
    for (int64_t j = m; j < n; ++j) {
      yyOff += columnSum(t, j, j + 1, n, k);
      r.yyDiag += kernelAt(t, j, j, k);
    }
    r.xx = 2 * xxOff + r.xxDiag;
    r.yy = 2 * yyOff + r.yyDiag;
    out[s] = r;
    if (o.progress) {
      std::lock_guard<std::mutex> lock(progressLock);
      o.progress(++done, subsets);
    }
  });
  return out;
}

}  // namespace gm
