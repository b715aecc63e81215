#include "knn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace gm {
namespace {

// The L smallest squared distances seen so far for every row, ascending, per worker.
struct Smallest {
  int L;
  std::vector<double> v;  // n x L
  explicit Smallest(int64_t n, int L) : L(L), v(static_cast<size_t>(n * L), std::numeric_limits<double>::infinity()) {}
  double worst(int64_t r) const { return v[r * L + L - 1]; }
  void insert(int64_t r, double d) {
    double* l = v.data() + r * L;
    int p = L - 1;
    while (p > 0 && l[p - 1] > d) {
      l[p] = l[p - 1];
      --p;
    }
    l[p] = d;
  }
};

}  // namespace

std::vector<std::vector<double>> neighbourRadii(const Rows& x, const std::vector<int>& ks, const PairwiseOptions& o) {
  if (ks.empty()) return {};
  const int kmax = *std::max_element(ks.begin(), ks.end());
  if (*std::min_element(ks.begin(), ks.end()) < 1) throw std::invalid_argument("k must be at least 1");
  if (kmax + 1 > x.n)
    throw std::invalid_argument("k = " + std::to_string(kmax) + " needs at least " + std::to_string(kmax + 1) +
                                " samples, got " + std::to_string(x.n));
  const int L = kmax + 1;
  std::vector<std::unique_ptr<Smallest>> lists(static_cast<size_t>(tileWorkers(o)));
  forEachTile(x, x, true, o, [&](const Tile& t, int w) {
    auto& s = lists[w];
    if (!s) s = std::make_unique<Smallest>(x.n, L);
    for (int64_t j = 0; j < t.cols; ++j) {
      const int64_t cj = t.j0 + j;
      // Each computed pair stands for (j, i) too, except a row's distance to itself.
      for (int64_t i = t.diagonal ? j : 0; i < t.rows; ++i) {
        const double d = t.squaredDistance(i, j);
        const int64_t ri = t.i0 + i;
        if (d < s->worst(ri)) s->insert(ri, d);
        if (ri != cj && d < s->worst(cj)) s->insert(cj, d);
      }
    }
  });
  std::vector<std::vector<double>> out(ks.size(), std::vector<double>(static_cast<size_t>(x.n)));
  std::vector<double> merged;
  for (int64_t r = 0; r < x.n; ++r) {
    merged.clear();
    for (const auto& s : lists)
      if (s) merged.insert(merged.end(), s->v.begin() + r * L, s->v.begin() + (r + 1) * L);
    std::sort(merged.begin(), merged.end());
    for (size_t q = 0; q < ks.size(); ++q) out[q][r] = std::sqrt(merged[ks[q]]);
  }
  return out;
}

}  // namespace gm
