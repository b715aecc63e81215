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
// upper: a is rows [0, a.n) of b and the pass visits forEachUpperTile's tiles (the pairs with a row
// of a, each once, standing for both rows): lists for every row of b.
std::vector<std::unique_ptr<Smallest>> smallest(const Rows& a, const Rows& b, bool symmetric, int L, const PairwiseOptions& o,
                                                const double* normsA, const double* normsB, bool upper = false) {
  std::vector<std::unique_ptr<Smallest>> lists(static_cast<size_t>(tileWorkers(o)));
  const TileVisitor visit = [&](const Tile& t, int w) {
    auto& s = lists[w];
    if (!s) s = std::make_unique<Smallest>(upper ? b.n : a.n, L);
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
  };
  if (upper)
    forEachUpperTile(a, b, o, visit, normsB);
  else
    forEachTile(a, b, symmetric, o, visit, normsA, normsB);
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

// One row's float32 candidates made exact: c holds them ascending by their float32 value; the
// first min(|c|, Lc) get their squared distances recomputed bit for bit as the float64 pass
// computes them (normB(q, j): the squared norm of row j of b, the q-th candidate), into c64,
// ascending. True when that decides the row's `need` smallest among its `partners` pairs: every
// pair is a candidate, or the need-th recomputed distance lies at least M (the float32 error
// bound) below the last candidate's float32 value.
template <typename NormB>
bool decideRow(const Rows& a, int64_t r, double normA, const Rows& b, const std::vector<Candidate>& c, int need, int Lc, int64_t partners,
               double M, NormB normB, std::vector<int64_t>& js, std::vector<double>& dots, std::vector<Candidate>& c64) {
  const size_t keep = std::min<size_t>(c.size(), static_cast<size_t>(Lc));
  js.clear();
  for (size_t q = 0; q < keep; ++q) js.push_back(c[q].j);
  dots.resize(keep);
  gemmRowsDots(a, r, b, js.data(), static_cast<int64_t>(keep), dots.data());
  c64.clear();
  for (size_t q = 0; q < keep; ++q) c64.push_back({squaredDistance(normA, normB(q, js[q]), dots[q]), js[q]});
  std::sort(c64.begin(), c64.end(), byDistance);
  const bool all = static_cast<int64_t>(keep) >= partners;
  const double tau = keep > 0 ? c[keep - 1].d : 0.0;
  return all || (keep >= static_cast<size_t>(need) && c64[need - 1].d <= tau - M);
}

// The float32 pass keeps E more candidates per row than needed.
constexpr int ExtraCandidates = 2;

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
// The rows of `a` listed in `redo` (indices into its data) again in float64 against b: the exact
// lists of the rows whose float32 candidates could not decide (near-ties, duplicates).
// take(q, list) gets the list of redo[q].
template <class Take>
void againInFloat64(const Rows& a, std::vector<uint32_t>& redo, const Rows& b, int need, const PairwiseOptions& o, const double* normsB, const Take& take) {
  if (redo.empty()) return;
  Rows rows = a;
  rows.idx = redo.data();
  rows.n = static_cast<int64_t>(redo.size());
  PairwiseOptions f64 = o;
  f64.precision = Precision::Float64;
  f64.progress = nullptr;
  const auto lists = smallest(rows, b, false, need, f64, nullptr, normsB);
  for (size_t q = 0; q < redo.size(); ++q) take(q, merged(lists, static_cast<int64_t>(q)));
}

void exactSmallest(const Rows& a, const Rows& b, bool symmetric, int need, const PairwiseOptions& o, const std::vector<double>& normsA,
                   const std::vector<double>& normsB, const std::function<void(int64_t, const std::vector<Candidate>&)>& take) {
  if (o.precision == Precision::Float64) {
    const auto lists = smallest(a, b, symmetric, need, o, normsA.data(), normsB.data());
    for (int64_t r = 0; r < a.n; ++r) take(r, merged(lists, r));
    return;
  }
  const int Lc = need + ExtraCandidates;
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
      const double M = squaredDistanceMargin(e, std::sqrt(normsA[r]), std::sqrt(maxSquared), normsA[r], maxSquared);
      // Every pair is a candidate when b has at most Lc rows.
      if (decideRow(a, r, normsA[r], b, c, need, Lc, b.n, M, [&](size_t, int64_t j) { return normsB[j]; }, js, dots, c64)) {
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
  againInFloat64(a, again, b, need, o, normsB.data(), [&](size_t q, const std::vector<Candidate>& c) { take(position[q], c); });
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

namespace {

// Rows [r0, r0 + n) of x (plain rows), read where they lie.
Rows rowsFrom(const Rows& x, int64_t r0, int64_t n) {
  if (x.idx) throw std::invalid_argument("the scale-out passes read plain rows");
  Rows out = x;
  out.n = n;
  if (x.f32) out.f32 = x.f32 + r0 * x.d;
  else out.f64 = x.f64 + r0 * x.d;
  return out;
}

// The squared norms of rows [r0, x.n) of x (tail): the caller's (o.norms, all of x's) or computed.
std::vector<double> tailNorms(const Rows& x, const Rows& tail, int64_t r0, const PairwiseOptions& o) {
  if (o.norms) return std::vector<double>(o.norms + r0, o.norms + x.n);
  return squaredNormsOn(tail, o.threads);
}

void checkPart(const Rows& x, int64_t r0, int64_t r1) {
  if (r0 < 0 || r1 <= r0 || r1 > x.n)
    throw std::invalid_argument("rows [" + std::to_string(r0) + ", " + std::to_string(r1) + ") are not a block of the " + std::to_string(x.n) + " rows");
}

}  // namespace

std::vector<double> squaredNormsOn(const Rows& x, int threads) {
  std::vector<double> out(static_cast<size_t>(x.n));
  constexpr int64_t B = 512;
  parallelFor((x.n + B - 1) / B, threads, [&](long b) {
    const int64_t r0 = b * B, n = std::min<int64_t>(B, x.n - r0);
    Rows part = x;
    part.n = n;
    if (x.idx) part.idx = x.idx + r0;
    else part = rowsFrom(x, r0, n);
    const std::vector<double> norms = part.squaredNorms();
    std::copy(norms.begin(), norms.end(), out.begin() + r0);
  });
  return out;
}

std::vector<double> upperBlockSmallest(const Rows& x, int64_t r0, int64_t r1, int need, const PairwiseOptions& o) {
  checkPart(x, r0, r1);
  if (need < 1) throw std::invalid_argument("need must be at least 1");
  if (o.precision != Precision::Float64)
    throw std::invalid_argument("neighbourBlock runs in float64; in float32, neighbourBlockCandidates then neighbourRecheck");
  // The rows from r0 on (tail) and the block (its first r1 - r0 rows).
  const Rows tail = rowsFrom(x, r0, x.n - r0), block = rowsFrom(x, r0, r1 - r0);
  const int64_t n = tail.n;
  const std::vector<double> norms = tailNorms(x, tail, r0, o);
  std::vector<double> out(static_cast<size_t>(n * need), std::numeric_limits<double>::infinity());
  const auto lists = smallest(block, tail, true, need, o, norms.data(), norms.data(), true);
  parallelFor((n + 255) / 256, o.threads, [&](long b) {
    for (int64_t r = b * 256; r < std::min<int64_t>(n, b * 256 + 256); ++r) {
      const std::vector<Candidate> c = merged(lists, r);
      for (size_t q = 0; q < c.size() && q < static_cast<size_t>(need); ++q) out[r * need + q] = c[q].d;
    }
  });
  return out;
}

PartCandidates upperBlockCandidates(const Rows& x, int64_t r0, int64_t r1, int need, const PairwiseOptions& o) {
  checkPart(x, r0, r1);
  if (need < 1) throw std::invalid_argument("need must be at least 1");
  const Rows tail = rowsFrom(x, r0, x.n - r0), block = rowsFrom(x, r0, r1 - r0);
  const int64_t n = tail.n;
  const std::vector<double> norms = tailNorms(x, tail, r0, o);
  PartCandidates out;
  out.L = need + ExtraCandidates;
  out.maxSquared = *std::max_element(norms.begin(), norms.end());
  out.value.assign(static_cast<size_t>(n * out.L), std::numeric_limits<double>::infinity());
  out.index.assign(static_cast<size_t>(n * out.L), -1);
  PairwiseOptions f32 = o;
  f32.precision = Precision::Float32;
  const auto lists = smallest(block, tail, true, out.L, f32, norms.data(), norms.data(), true);
  parallelFor((n + 255) / 256, o.threads, [&](long b) {
    for (int64_t r = b * 256; r < std::min<int64_t>(n, b * 256 + 256); ++r) {
      const std::vector<Candidate> c = merged(lists, r);
      for (size_t q = 0; q < c.size() && q < static_cast<size_t>(out.L); ++q) {
        out.value[r * out.L + q] = c[q].d;
        out.index[r * out.L + q] = r0 + c[q].j;
      }
    }
  });
  return out;
}

std::vector<double> recheckCandidates(const Rows& x, int64_t r0, int64_t count, const int64_t* index, const double* value, int L, int need,
                                      double maxSquared, const PairwiseOptions& o) {
  checkPart(x, r0, r0 + count);
  if (need < 1 || L < need) throw std::invalid_argument("need must be at least 1 and at most L");
  const Rows a = rowsFrom(x, r0, count);
  std::vector<double> out(static_cast<size_t>(count * need), std::numeric_limits<double>::infinity());
  const auto put = [&](int64_t r, const std::vector<Candidate>& ascending) {
    for (size_t q = 0; q < ascending.size() && q < static_cast<size_t>(need); ++q) out[r * need + q] = ascending[q].d;
  };
  const double e = float32DotError(x.d);
  // The squared norms: the caller's (o.norms); else those of the rows among the candidates (each
  // once), as Rows::squaredNorms computes them, or of all rows at once when the rows and their
  // candidates are most of the set (the rows that cannot be decided need them all).
  std::vector<uint32_t> rowsOf;
  std::vector<double> normsX, normsA, candidateNorms;
  if (o.norms) {
    normsX.assign(o.norms, o.norms + x.n);
  } else {
    for (int64_t q = 0; q < count * L; ++q)
      if (index[q] >= 0) rowsOf.push_back(static_cast<uint32_t>(index[q]));
    std::sort(rowsOf.begin(), rowsOf.end());
    rowsOf.erase(std::unique(rowsOf.begin(), rowsOf.end()), rowsOf.end());
    if (2 * (static_cast<int64_t>(rowsOf.size()) + count) >= x.n) {
      normsX = squaredNormsOn(x, o.threads);
    } else {
      normsA = squaredNormsOn(a, o.threads);
      Rows candidates = x;
      candidates.idx = rowsOf.data();
      candidates.n = static_cast<int64_t>(rowsOf.size());
      candidateNorms = squaredNormsOn(candidates, o.threads);
    }
  }
  if (!normsX.empty()) normsA.assign(normsX.begin() + r0, normsX.begin() + r0 + count);
  const auto normOf = [&](size_t, int64_t j) {
    if (!normsX.empty()) return normsX[j];
    return candidateNorms[std::lower_bound(rowsOf.begin(), rowsOf.end(), static_cast<uint32_t>(j)) - rowsOf.begin()];
  };
  std::vector<uint8_t> exact(static_cast<size_t>(count), 0);
  parallelForWorkers((count + 63) / 64, o.threads, [&](long b, int) {
    std::vector<double> dots;
    std::vector<int64_t> js;
    std::vector<Candidate> c, c64;
    for (int64_t r = b * 64; r < std::min<int64_t>(count, b * 64 + 64); ++r) {
      c.clear();
      for (int q = 0; q < L; ++q)
        if (index[r * L + q] >= 0) c.push_back({value[r * L + q], index[r * L + q]});
      const double M = squaredDistanceMargin(e, std::sqrt(normsA[r]), std::sqrt(maxSquared), normsA[r], maxSquared);
      if (decideRow(a, r, normsA[r], x, c, need, L, x.n, M, normOf, js, dots, c64)) {
        put(r, c64);
        exact[r] = 1;
      }
    }
  });
  std::vector<uint32_t> again;
  for (int64_t r = 0; r < count; ++r)
    if (!exact[r]) again.push_back(static_cast<uint32_t>(r0 + r));
  if (!again.empty()) {
    // Rows it cannot decide (near-ties, duplicates): again in float64 against the whole set.
    if (normsX.empty()) normsX = squaredNormsOn(x, o.threads);
    againInFloat64(x, again, x, need, o, normsX.data(), [&](size_t q, const std::vector<Candidate>& c) { put(static_cast<int64_t>(again[q]) - r0, c); });
  }
  return out;
}

}  // namespace gm
