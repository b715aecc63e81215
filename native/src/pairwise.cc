#include "pairwise.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "gemm.h"
#include "parallel.h"
#include "scratch.h"

namespace gm {

void Rows::toDouble(int64_t r0, int64_t count, double* dst) const {
  for (int64_t r = 0; r < count; ++r) {
    const int64_t src = idx ? static_cast<int64_t>(idx[r0 + r]) : r0 + r;
    double* out = dst + r * d;
    if (f32) {
      const float* in = f32 + src * d;
      for (int64_t c = 0; c < d; ++c) out[c] = in[c];
    } else {
      std::copy(f64 + src * d, f64 + src * d + d, out);
    }
  }
}

namespace {

// Sum over c of x[c]^2 in float64, in column order, for R rows at once: each row's sum is the same
// chain of roundings as one row alone (the chains are independent, so they overlap in the core
// instead of waiting on one add's latency; no FMA: the build has -ffp-contract=off).
template <int R, class T>
void squaredNormsOf(const T* const* rows, int64_t d, double* out) {
  double s[R] = {};
  for (int64_t c = 0; c < d; ++c)
    for (int q = 0; q < R; ++q) {
      const double v = static_cast<double>(rows[q][c]);
      s[q] += v * v;
    }
  for (int q = 0; q < R; ++q) out[q] = s[q];
}

template <class T>
void squaredNormsAll(const Rows& x, const T* data, double* out) {
  constexpr int R = 8;
  const T* rows[R];
  int64_t r = 0;
  for (; r + R <= x.n; r += R) {
    for (int q = 0; q < R; ++q) rows[q] = data + x.source(r + q) * x.d;
    squaredNormsOf<R>(rows, x.d, out + r);
  }
  for (; r < x.n; ++r) {
    rows[0] = data + x.source(r) * x.d;
    squaredNormsOf<1>(rows, x.d, out + r);
  }
}

}  // namespace

std::vector<double> Rows::squaredNorms() const {
  std::vector<double> out(static_cast<size_t>(n));
  if (f32) squaredNormsAll(*this, f32, out.data());
  else squaredNormsAll(*this, f64, out.data());
  return out;
}

int tileWorkers(const PairwiseOptions& o) { return resolveThreads(o.threads); }

namespace {

// One tile of a pass: rows [i0, i0 + rows) of a against rows [j0, j0 + cols) of b; on the
// diagonal of a symmetric pass only its lower triangle is computed.
struct TileTask {
  int64_t i0, rows, j0, cols;
  bool diagonal;
};

// Computes the tiles in parallel (one scratch product per worker), visits each, reports progress.
void runTiles(const Rows& a, const Rows& b, const std::vector<TileTask>& tasks, const PairwiseOptions& o, const TileVisitor& visit,
              const double* normsA, const double* normsB) {
  const int64_t T = o.tile;
  const int64_t tiles = static_cast<int64_t>(tasks.size());
  std::vector<std::unique_ptr<Scratch>> products(static_cast<size_t>(tileWorkers(o)));
  std::mutex progressLock;
  int64_t done = 0;
  parallelForWorkers(static_cast<long>(tasks.size()), o.threads, [&](long t, int w) {
    auto& g = products[w];
    if (!g) g = std::make_unique<Scratch>(static_cast<size_t>(T * T));
    const TileTask task = tasks[t];
    gemmRows(task.rows, task.cols, a, task.i0, b, task.j0, g->data(), task.rows, task.diagonal ? Part::Lower : Part::Full, 1, o.precision,
             /*overwrite=*/true);
    visit(Tile{task.i0, task.j0, task.rows, task.cols, g->data(), normsA + task.i0, normsB + task.j0, task.diagonal}, w);
    if (o.progress) {
      std::lock_guard<std::mutex> lock(progressLock);
      o.progress(++done, tiles);
    }
  });
}

}  // namespace

void forEachTile(const Rows& a, const Rows& b, bool symmetric, const PairwiseOptions& o, const TileVisitor& visit,
                 const double* normsA, const double* normsB) {
  if (a.d != b.d) throw std::invalid_argument("the two sets have different dimensions");
  if (o.tile < 1) throw std::invalid_argument("tile must be positive");
  if (a.n == 0 || b.n == 0) return;
  const int64_t T = o.tile;
  std::vector<TileTask> tasks;
  for (int64_t i0 = 0; i0 < a.n; i0 += T)
    for (int64_t j0 = symmetric ? i0 : 0; j0 < b.n; j0 += T) tasks.push_back({i0, std::min(T, a.n - i0), j0, std::min(T, b.n - j0), symmetric && i0 == j0});

  std::vector<double> ownA, ownB;
  if (!normsA) normsA = (ownA = a.squaredNorms()).data();
  if (symmetric) normsB = normsA;
  else if (!normsB) normsB = (ownB = b.squaredNorms()).data();
  runTiles(a, b, tasks, o, visit, normsA, normsB);
}

void forEachUpperTile(const Rows& a, const Rows& b, const PairwiseOptions& o, const TileVisitor& visit, const double* norms) {
  if (a.d != b.d) throw std::invalid_argument("the two sets have different dimensions");
  if (o.tile < 1) throw std::invalid_argument("tile must be positive");
  if (a.n > b.n) throw std::invalid_argument("forEachUpperTile: a must be a prefix of b");
  if (a.n == 0) return;
  const int64_t T = o.tile;
  std::vector<TileTask> tasks;
  for (int64_t i0 = 0; i0 < a.n; i0 += T) {
    const int64_t rows = std::min(T, a.n - i0);
    tasks.push_back({i0, rows, i0, rows, true});
    for (int64_t j0 = i0 + rows; j0 < b.n; j0 += T) tasks.push_back({i0, rows, j0, std::min(T, b.n - j0), false});
  }
  runTiles(a, b, tasks, o, visit, norms, norms);
}

}  // namespace gm
