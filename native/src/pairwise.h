// Tiled pairwise inner products and squared Euclidean distances between two sets of feature rows.
//
// The sets are read in place (float32 or float64, row-major); the blocked GEMM widens them to
// float64 as it packs its panels (no converted copy of a tile), and squared distances follow from
// ||x||^2 + ||y||^2 - 2 x.y (clamped at 0). Tiles are handed to a visitor together with the index
// of the worker thread running it, so that visitors keep per-worker accumulators and merge them
// at the end: memory is O(threads * (tile^2 + GEMM panels)) plus whatever the visitor keeps per row,
// never n x m.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "gemm.h"
#include "rows.h"

namespace gm {

// One tile: inner products g(i, j) = <a_{i0+i}, b_{j0+j}> for i < rows, j < cols, column-major
// with leading dimension `rows`; na, nb point at the squared norms of those rows.
struct Tile {
  int64_t i0, j0, rows, cols;
  const double* g;
  const double* na;
  const double* nb;
  // A tile of a symmetric pass (b is a) with i0 == j0: only the entries with i >= j are computed,
  // and each with i > j stands for (j, i) too.
  bool diagonal;

  double dot(int64_t i, int64_t j) const { return g[j * rows + i]; }
  double squaredDistance(int64_t i, int64_t j) const;
};

// |a - b|^2 from the squared norms and the inner product, clamped at 0: the one formula of every
// pass (and of the float64 re-checks, which must agree with it bit for bit).
inline double squaredDistance(double na, double nb, double dot) {
  const double v = na + nb - 2.0 * dot;
  return v > 0.0 ? v : 0.0;
}

inline double Tile::squaredDistance(int64_t i, int64_t j) const {
  return gm::squaredDistance(na[i], nb[j], g[j * rows + i]);
}

using ProgressFn = std::function<void(int64_t done, int64_t total)>;

struct PairwiseOptions {
  int64_t tile = 576;  // rows per tile side (a multiple of the micro-kernels' 24 and 8)
  int threads = 0;     // 0: all cores
  ProgressFn progress;  // called after each tile (from worker threads, serialised)
  // KID's subsets from the kernel matrices of the whole sets, computed once (see kernelSumsSubsets).
  bool dense = false;
  // Inner products in float64, or from float32 products (gemmRows' Float32: about twice the rate).
  Precision precision = Precision::Float64;
  // The squared norms of the rows (Rows::squaredNorms' bits) when the caller has them already: of
  // the set (neighbour passes; countBalls: the reals) and of countBalls' fakes. Null: computed.
  const double* norms = nullptr;
  const double* otherNorms = nullptr;
};

using TileVisitor = std::function<void(const Tile&, int worker)>;

// The largest worker index forEachTile may pass, plus one.
int tileWorkers(const PairwiseOptions& o);

// Visits every tile of a x b; when `symmetric` (b is a), only the tiles with j0 >= i0, and of the
// diagonal tiles only their lower triangles: every pair is computed once and stands for both
// (i, j) and (j, i), which halves the arithmetic. normsA / normsB: the rows' squared norms
// (Rows::squaredNorms) when the caller has them already; computed here when null.
void forEachTile(const Rows& a, const Rows& b, bool symmetric, const PairwiseOptions& o, const TileVisitor& visit,
                 const double* normsA = nullptr, const double* normsB = nullptr);

// The tiles of a symmetric pass restricted to the rows of `a`, which must be rows [0, a.n) of `b`
// (the same rows, read where they lie; a.n <= b.n): for each block of T rows of a, [i0, i0 + m),
// its square diagonal tile (only i >= j computed, diagonal true) and the full tiles of the columns
// [i0 + m, b.n) after it, T at a time. Every pair {p, q} with min(p, q) < a.n is computed once;
// with a = b these are forEachTile's symmetric tiles. norms: the squared norms of b's rows.
void forEachUpperTile(const Rows& a, const Rows& b, const PairwiseOptions& o, const TileVisitor& visit, const double* norms);

// The float32 error bound M of a squared distance (gemmRows' Float32 against Float64, e =
// float32DotError): |d32^2 - d64^2| <= 2e |a| |b| (twice the inner product's bound, Cauchy-Schwarz)
// plus the float64 roundings of |a|^2 + |b|^2 - 2 a.b, with slack for the rounding of the bound.
inline double squaredDistanceMargin(double e, double normA, double normB, double squaredA, double squaredB) {
  return 2 * e * (1 + 1e-6) * normA * normB + 16 * 0x1p-53 * (squaredA + squaredB);
}

}  // namespace gm
