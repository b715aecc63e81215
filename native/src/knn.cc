#include "knn.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "gemm.h"
#include "parallel.h"

namespace gm {
namespace {

// The L smallest squared distances seen so far for every row, ascending, with the other row of
// each pair, per worker.
struct Smallest {
  int L;
  std::vector<double> v;      // n x L
  std::vector<int64_t> at;    // n x L: the neighbour of each entry
  std::vector<double> worst;  // n: the last entry of each row's list, read by every pair
  explicit Smallest(int64_t n, int L)
      : L(L),
        v(static_cast<size_t>(n * L), std::numeric_limits<double>::infinity()),
        at(static_cast<size_t>(n * L), -1),
        worst(static_cast<size_t>(n), std::numeric_limits<double>::infinity()) {}
  void insert(int64_t r, double d, int64_t j) {
    double* l = v.data() + r * L;
    int64_t* a = at.data() + r * L;
    int p = L - 1;
    while (p > 0 && l[p - 1] > d) {
      l[p] = l[p - 1];
      a[p] = a[p - 1];
      --p;
    }
    l[p] = d;
    a[p] = j;
    worst[r] = l[L - 1];
  }
};

// The L smallest squared distances of every row of a to the rows of b, in one pass over the
// tiles; symmetric (b is a, itself included): each computed pair stands for both rows.
// normsA, normsB: the rows' squared norms (normsA null: computed by forEachTile).
std::vector<std::unique_ptr<Smallest>> smallest(const Rows& a, const Rows& b, bool symmetric, int L, const PairwiseOptions& o,
                                                const double* normsA, const double* normsB) {
  std::vector<std::unique_ptr<Smallest>> lists(static_cast<size_t>(tileWorkers(o)));
  forEachTile(a, b, symmetric, o, [&](const Tile& t, int w) {
    auto& s = lists[w];
    if (!s) s = std::make_unique<Smallest>(a.n, L);
    double* worst = s->worst.data();
    for (int64_t j = 0; j < t.cols; ++j) {
      const int64_t cj = t.j0 + j;
      // In the symmetric pass each computed pair stands for (j, i) too, except a row's distance to
      // itself.
      for (int64_t i = t.diagonal ? j : 0; i < t.rows; ++i) {
        const double d = t.squaredDistance(i, j);
        const int64_t ri = t.i0 + i;
        if (d < worst[ri]) s->insert(ri, d, cj);
        if (symmetric && d < worst[cj] && ri != cj) s->insert(cj, d, ri);
      }
    }
  }, normsA, normsB);
  return lists;
}

struct Candidate {
  double d;
  int64_t j;
};

bool byDistance(const Candidate& p, const Candidate& q) { return p.d < q.d || (p.d == q.d && p.j < q.j); }

// Row r's entries of every worker's list, ascending (the worker lists hold the L smallest of the
// pairs each saw, so their union holds the L smallest of all).
std::vector<Candidate> merged(const std::vector<std::unique_ptr<Smallest>>& lists, int64_t r) {
  std::vector<Candidate> out;
  for (const auto& s : lists) {
    if (!s) continue;
    for (int q = 0; q < s->L; ++q)
      if (s->at[r * s->L + q] >= 0) out.push_back({s->v[r * s->L + q], s->at[r * s->L + q]});
  }
  std::sort(out.begin(), out.end(), byDistance);
  return out;
}

// The `need` smallest squared distances of every row of a to the rows of b (symmetric: b is a,
// each row's own zero distance included), with their rows, ascending (ties by index), exact as
// the float64 pass computes them whatever o.precision: take(r, list) is called once per row (from
// worker threads; rows differ). Fewer than `need` when b has fewer rows.
//
// Float32: the pass keeps E more candidates than needed; each candidate's squared distance is
// then recomputed bit for bit as the float64 pass computes it. The non-candidates lie at or past
// the last candidate's float32 value tau, so within the float32 error bound M of tau or beyond:
// when the need-th recomputed distance is <= tau - M, the list is the float64 one. Rows where
// that does not hold (near-ties, duplicates) run again against the whole set in float64.
void exactSmallest(const Rows& a, const Rows& b, bool symmetric, int need, const PairwiseOptions& o, const std::vector<double>& normsA,
                   const std::vector<double>& normsB, const std::function<void(int64_t, const std::vector<Candidate>&)>& take) {
  if (o.precision == Precision::Float64) {
    const auto lists = smallest(a, b, symmetric, need, o, normsA.data(), normsB.data());
    for (int64_t r = 0; r < a.n; ++r) take(r, merged(lists, r));
    return;
  }
  constexpr int E = 2;
  const int Lc = need + E;
  const auto lists = smallest(a, b, symmetric, Lc, o, normsA.data(), normsB.data());
  const double maxSquared = *std::max_element(normsB.begin(), normsB.end());
  const double e = float32DotError(a.d);
  std::vector<uint8_t> exact(static_cast<size_t>(a.n), 0);
  parallelForWorkers((a.n + 63) / 64, o.threads, [&](long block, int) {
    std::vector<double> dots;
    std::vector<int64_t> js;
    std::vector<Candidate> c64;
    for (int64_t r = block * 64; r < std::min<int64_t>(a.n, block * 64 + 64); ++r) {
      const std::vector<Candidate> c = merged(lists, r);
      const size_t keep = std::min<size_t>(c.size(), static_cast<size_t>(Lc));
      js.clear();
      for (size_t q = 0; q < keep; ++q) js.push_back(c[q].j);
      dots.resize(keep);
      gemmRowsDots(a, r, b, js.data(), static_cast<int64_t>(keep), dots.data());
      c64.clear();
      for (size_t q = 0; q < keep; ++q) c64.push_back({squaredDistance(normsA[r], normsB[js[q]], dots[q]), js[q]});
      std::sort(c64.begin(), c64.end(), byDistance);
      // Every pair is a candidate when b has at most Lc rows.
      const bool all = static_cast<int64_t>(keep) >= b.n;
      const double tau = keep > 0 ? c[keep - 1].d : 0.0;
      const double M = squaredDistanceMargin(e, std::sqrt(normsA[r]), std::sqrt(maxSquared), normsA[r], maxSquared);
      if (all || (keep >= static_cast<size_t>(need) && c64[need - 1].d <= tau - M)) {
        take(r, c64);
        exact[r] = 1;
      }
    }
  });
  std::vector<uint32_t> again;
  std::vector<int64_t> position;
  for (int64_t r = 0; r < a.n; ++r) {
    if (exact[r]) continue;
    again.push_back(static_cast<uint32_t>(a.idx ? a.idx[r] : r));
    position.push_back(r);
  }
  if (again.empty()) return;
  Rows rows = a;
  rows.idx = again.data();
  rows.n = static_cast<int64_t>(again.size());
  PairwiseOptions f64 = o;
  f64.precision = Precision::Float64;
  f64.progress = nullptr;
  const auto listsAgain = smallest(rows, b, false, need, f64, nullptr, normsB.data());
  for (size_t q = 0; q < again.size(); ++q) take(position[q], merged(listsAgain, static_cast<int64_t>(q)));
}

}  // namespace

std::vector<std::vector<double>> neighbourRadii(const Rows& x, const std::vector<int>& ks, const PairwiseOptions& o) {
  if (ks.empty()) return {};
  const int kmax = *std::max_element(ks.begin(), ks.end());
  if (*std::min_element(ks.begin(), ks.end()) < 1) throw std::invalid_argument("k must be at least 1");
  if (kmax + 1 > x.n)
    throw std::invalid_argument("k = " + std::to_string(kmax) + " needs at least " + std::to_string(kmax + 1) +
                                " samples, got " + std::to_string(x.n));
  std::vector<std::vector<double>> out(ks.size(), std::vector<double>(static_cast<size_t>(x.n)));
  const std::vector<double> norms = x.squaredNorms();
  exactSmallest(x, x, true, kmax + 1, o, norms, norms, [&](int64_t r, const std::vector<Candidate>& ascending) {
    for (size_t q = 0; q < ks.size(); ++q) out[q][r] = std::sqrt(ascending[ks[q]].d);
  });
  return out;
}

Neighbours nearestNeighbours(const Rows& a, const Rows& b, int k, const PairwiseOptions& o) {
  if (k < 1) throw std::invalid_argument("k must be at least 1");
  if (a.d != b.d) throw std::invalid_argument("the two sets have different dimensions");
  Neighbours out;
  out.k = k;
  out.index.assign(static_cast<size_t>(a.n * k), -1);
  out.distance.assign(static_cast<size_t>(a.n * k), std::numeric_limits<double>::infinity());
  if (a.n == 0 || b.n == 0) return out;
  const std::vector<double> normsA = a.squaredNorms(), normsB = b.squaredNorms();
  exactSmallest(a, b, false, k, o, normsA, normsB, [&](int64_t r, const std::vector<Candidate>& ascending) {
    for (size_t q = 0; q < ascending.size() && q < static_cast<size_t>(k); ++q) {
      out.index[r * k + q] = ascending[q].j;
      out.distance[r * k + q] = std::sqrt(ascending[q].d);
    }
  });
  return out;
}

}  // namespace gm
