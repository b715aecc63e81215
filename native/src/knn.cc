#include "knn.h"

#include <algorithm>
#include <cmath>
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

// Row r's entries of every worker's list, ascending (the worker lists hold the L smallest of the
// pairs each saw, so their union holds the L smallest of all).
std::vector<Candidate> merged(const std::vector<std::unique_ptr<Smallest>>& lists, int64_t r) {
  std::vector<Candidate> out;
  for (const auto& s : lists) {
    if (!s) continue;
    for (int q = 0; q < s->L; ++q)
      if (s->at[r * s->L + q] >= 0) out.push_back({s->v[r * s->L + q], s->at[r * s->L + q]});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& p, const Candidate& q) { return p.d < q.d || (p.d == q.d && p.j < q.j); });
  return out;
}

}  // namespace

std::vector<std::vector<double>> neighbourRadii(const Rows& x, const std::vector<int>& ks, const PairwiseOptions& o) {
  if (ks.empty()) return {};
  const int kmax = *std::max_element(ks.begin(), ks.end());
  if (*std::min_element(ks.begin(), ks.end()) < 1) throw std::invalid_argument("k must be at least 1");
  if (kmax + 1 > x.n)
    throw std::invalid_argument("k = " + std::to_string(kmax) + " needs at least " + std::to_string(kmax + 1) +
                                " samples, got " + std::to_string(x.n));
  const int L = kmax + 1;
  std::vector<std::vector<double>> out(ks.size(), std::vector<double>(static_cast<size_t>(x.n)));
  const auto take = [&](int64_t r, const std::vector<double>& ascending) {
    for (size_t q = 0; q < ks.size(); ++q) out[q][r] = std::sqrt(ascending[ks[q]]);
  };
  const std::vector<double> norms = x.squaredNorms();
  if (o.precision == Precision::Float64) {
    const auto lists = smallest(x, x, true, L, o, norms.data(), norms.data());
    std::vector<double> d;
    for (int64_t r = 0; r < x.n; ++r) {
      d.clear();
      for (const Candidate& c : merged(lists, r)) d.push_back(c.d);
      take(r, d);
    }
    return out;
  }
  // Float32: the pass keeps E more candidates than needed; each candidate's squared distance is
  // then recomputed bit for bit as the float64 pass computes it. The non-candidates lie at or past
  // the last candidate's float32 value tau, so within the float32 error bound M of tau or beyond:
  // when the k-th recomputed distance is <= tau - M, it is the float64 k-th distance. Rows where
  // that does not hold (near-ties, duplicates) run again against the whole set in float64.
  constexpr int E = 2;
  const int Lc = L + E;
  const auto lists = smallest(x, x, true, Lc, o, norms.data(), norms.data());
  const double maxSquared = *std::max_element(norms.begin(), norms.end());
  const double e = float32DotError(x.d);
  std::vector<uint8_t> exact(static_cast<size_t>(x.n), 0);
  parallelForWorkers((x.n + 63) / 64, o.threads, [&](long block, int) {
    std::vector<double> d, dots;
    std::vector<int64_t> js;
    for (int64_t r = block * 64; r < std::min<int64_t>(x.n, block * 64 + 64); ++r) {
      const std::vector<Candidate> c = merged(lists, r);
      const size_t keep = std::min<size_t>(c.size(), static_cast<size_t>(Lc));
      js.clear();
      for (size_t q = 0; q < keep; ++q) js.push_back(c[q].j);
      dots.resize(keep);
      gemmRowsDots(x, r, x, js.data(), static_cast<int64_t>(keep), dots.data());
      d.clear();
      for (size_t q = 0; q < keep; ++q) d.push_back(squaredDistance(norms[r], norms[js[q]], dots[q]));
      std::sort(d.begin(), d.end());
      // Every pair is a candidate when the set has at most Lc rows.
      const bool all = static_cast<int64_t>(keep) >= x.n;
      const double tau = keep > 0 ? c[keep - 1].d : 0.0;
      const double M = squaredDistanceMargin(e, std::sqrt(norms[r]), std::sqrt(maxSquared), norms[r], maxSquared);
      if (all || d[kmax] <= tau - M) {
        take(r, d);
        exact[r] = 1;
      }
    }
  });
  std::vector<uint32_t> again;
  for (int64_t r = 0; r < x.n; ++r)
    if (!exact[r]) again.push_back(static_cast<uint32_t>(r));
  std::vector<double> d;
  if (!again.empty()) {
    Rows rows = x;
    rows.idx = again.data();
    rows.n = static_cast<int64_t>(again.size());
    PairwiseOptions exact = o;
    exact.precision = Precision::Float64;
    exact.progress = nullptr;
    const auto listsAgain = smallest(rows, x, false, L, exact, nullptr, norms.data());
    for (size_t q = 0; q < again.size(); ++q) {
      d.clear();
      for (const Candidate& c : merged(listsAgain, static_cast<int64_t>(q))) d.push_back(c.d);
      take(again[q], d);
    }
  }
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
  const auto take = [&](int64_t r, const std::vector<Candidate>& ascending) {
    for (size_t q = 0; q < ascending.size() && q < static_cast<size_t>(k); ++q) {
      out.index[r * k + q] = ascending[q].j;
      out.distance[r * k + q] = std::sqrt(ascending[q].d);
    }
  };
  if (o.precision == Precision::Float64) {
    const auto lists = smallest(a, b, false, k, o, normsA.data(), normsB.data());
    for (int64_t r = 0; r < a.n; ++r) take(r, merged(lists, r));
    return out;
  }
  std::vector<uint8_t> exact(static_cast<size_t>(a.n), 0);
  {
    // As neighbourRadii: E extra candidates from the float32 pass, their float64 distances
    // recomputed; decided when the k-th lies at or below tau - M (tau: the last candidate's
    // float32 value, M: the float32 error bound), else the row runs again in float64.
    constexpr int E = 2;
    const int Lc = k + E;
    const auto lists = smallest(a, b, false, Lc, o, normsA.data(), normsB.data());
    const double maxSquared = *std::max_element(normsB.begin(), normsB.end());
    const double e = float32DotError(a.d);
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
        std::sort(c64.begin(), c64.end(), [](const Candidate& p, const Candidate& q) { return p.d < q.d || (p.d == q.d && p.j < q.j); });
        const bool all = static_cast<int64_t>(keep) >= b.n;
        const double tau = keep > 0 ? c[keep - 1].d : 0.0;
        const double M = squaredDistanceMargin(e, std::sqrt(normsA[r]), std::sqrt(maxSquared), normsA[r], maxSquared);
        if (all || (keep >= static_cast<size_t>(k) && c64[k - 1].d <= tau - M)) {
          take(r, c64);
          exact[r] = 1;
        }
      }
    });
  }
  std::vector<uint32_t> again;
  for (int64_t r = 0; r < a.n; ++r)
    if (!exact[r]) again.push_back(static_cast<uint32_t>(a.idx ? a.idx[r] : r));
  if (!again.empty()) {
    std::vector<int64_t> position;
    for (int64_t r = 0; r < a.n; ++r)
      if (!exact[r]) position.push_back(r);
    Rows rows = a;
    rows.idx = again.data();
    rows.n = static_cast<int64_t>(again.size());
    PairwiseOptions f64 = o;
    f64.precision = Precision::Float64;
    f64.progress = nullptr;
    const auto lists = smallest(rows, b, false, k, f64, nullptr, normsB.data());
    for (size_t q = 0; q < again.size(); ++q) take(position[q], merged(lists, static_cast<int64_t>(q)));
  }
  return out;
}

}  // namespace gm
