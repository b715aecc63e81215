#include "density.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace gm {

std::vector<double> parzenLogSums(const Rows& test, const Rows& samples, const std::vector<double>& scales, const PairwiseOptions& o) {
  const size_t ns = scales.size();
  // Per worker and test row: the smallest squared distance seen (m) and, per scale, the sum of
  // exp(-s (d^2 - m)) over the samples seen; merged across workers at the end.
  struct Acc {
    std::vector<double> m, sum;
  };
  std::vector<std::unique_ptr<Acc>> accs(static_cast<size_t>(tileWorkers(o)));
  const double inf = std::numeric_limits<double>::infinity();
  // Rows of a tile are test rows, columns samples.
  forEachTile(test, samples, false, o, [&](const Tile& t, int w) {
    auto& a = accs[w];
    if (!a) {
      a = std::make_unique<Acc>();
      a->m.assign(static_cast<size_t>(test.n), inf);
      a->sum.assign(static_cast<size_t>(test.n) * ns, 0.0);
    }
    thread_local std::vector<double> row;
    row.resize(static_cast<size_t>(t.cols));
    for (int64_t i = 0; i < t.rows; ++i) {
      double local = inf;
      for (int64_t j = 0; j < t.cols; ++j) {
        row[j] = t.squaredDistance(i, j);
        local = std::min(local, row[j]);
      }
      const int64_t r = t.i0 + i;
      double& m = a->m[r];
      double* sum = a->sum.data() + r * ns;
      if (local < m) {  // rescale the sums to the new smallest distance
        for (size_t k = 0; k < ns; ++k) sum[k] = m == inf ? 0.0 : sum[k] * std::exp(-scales[k] * (m - local));
        m = local;
      }
      for (size_t k = 0; k < ns; ++k) {
        const double s = scales[k];
        double acc = 0.0;
        for (int64_t j = 0; j < t.cols; ++j) acc += std::exp(-s * (row[j] - m));
        sum[k] += acc;
      }
    }
  });
  std::vector<double> out(static_cast<size_t>(test.n) * ns);
  for (int64_t r = 0; r < test.n; ++r) {
    double m = inf;
    for (const auto& a : accs)
      if (a) m = std::min(m, a->m[r]);
    for (size_t k = 0; k < ns; ++k) {
      double sum = 0.0;
      for (const auto& a : accs)
        if (a && a->m[r] < inf) sum += a->sum[r * ns + k] * std::exp(-scales[k] * (a->m[r] - m));
      out[r * ns + k] = -scales[k] * m + std::log(sum);
    }
  }
  return out;
}

std::vector<double> gramMatrix(const Rows& x, const PairwiseOptions& o) {
  const int64_t n = x.n;
  std::vector<double> g(static_cast<size_t>(n) * n);
  forEachTile(x, x, true, o, [&](const Tile& t, int) {
    for (int64_t j = 0; j < t.cols; ++j)
      for (int64_t i = t.diagonal ? j : 0; i < t.rows; ++i) {
        const double v = t.dot(i, j);
        g[(t.i0 + i) * n + t.j0 + j] = v;
        g[(t.j0 + j) * n + t.i0 + i] = v;
      }
  });
  return g;
}

}  // namespace gm
