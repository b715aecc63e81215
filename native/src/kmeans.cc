#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "gemm.h"
#include "parallel.h"

namespace gm {
namespace {

constexpr int64_t kBlock = 1024;  // rows per assignment task

// Uniform double in [0, 1) from the top 53 bits (std::mt19937_64's output is fixed by the
// standard, its distributions are not: this keeps runs identical across compilers).
double uniform(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// Squared distances of every row to each of m points (m x d, float64): out[q * n + r]. Blocks of
// rows in parallel, inner products from the packed GEMM, |x|^2 + |p|^2 - 2 x.p clamped at 0.
void distancesTo(const Rows& x, const std::vector<double>& xn, const double* pts, int64_t m, int threads,
                 std::vector<double>& out) {
  const int64_t n = x.n, d = x.d;
  Rows p;
  p.f64 = pts;
  p.n = m;
  p.d = d;
  std::vector<double> pn(static_cast<size_t>(m));
  for (int64_t q = 0; q < m; ++q) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) s += pts[q * d + j] * pts[q * d + j];
    pn[q] = s;
  }
  out.resize(static_cast<size_t>(n * m));
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  parallelFor(blocks, threads, [&](long b) {
    const int64_t r0 = b * kBlock, rows = std::min(kBlock, n - r0);
    std::vector<double> g(static_cast<size_t>(rows * m), 0.0);
    gemmRows(rows, m, x, r0, p, 0, g.data(), rows, Part::Full, 1);
    for (int64_t q = 0; q < m; ++q)
      for (int64_t i = 0; i < rows; ++i) out[q * n + r0 + i] = std::max(0.0, xn[r0 + i] + pn[q] - 2.0 * g[q * rows + i]);
  });
}

// Nearest centre of every row (the first on ties) and its squared distance.
void assign(const Rows& x, const std::vector<double>& xn, const std::vector<double>& centres, int64_t k, int threads,
            std::vector<int32_t>& labels, std::vector<double>& dist, std::vector<double>& scratch) {
  distancesTo(x, xn, centres.data(), k, threads, scratch);
  const int64_t n = x.n;
  for (int64_t r = 0; r < n; ++r) {
    double best = scratch[r];
    int32_t arg = 0;
    for (int64_t q = 1; q < k; ++q)
      if (scratch[q * n + r] < best) best = scratch[q * n + r], arg = static_cast<int32_t>(q);
    labels[r] = arg;
    dist[r] = best;
  }
}

// Greedy k-means++: each new centre is the best of `trials` candidates drawn with probability
// proportional to the squared distance to the nearest centre chosen so far.
std::vector<double> seedCentres(const Rows& x, const std::vector<double>& xn, int64_t k, int threads, std::mt19937_64& g) {
  const int64_t n = x.n, d = x.d;
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  std::vector<double> centres(static_cast<size_t>(k * d)), closest, dist, cand(static_cast<size_t>(trials * d));
  const int64_t first = std::min<int64_t>(n - 1, static_cast<int64_t>(uniform(g) * n));
  x.toDouble(first, 1, centres.data());
  distancesTo(x, xn, centres.data(), 1, threads, closest);
  for (int64_t q = 1; q < k; ++q) {
    double total = 0;
    for (double v : closest) total += v;
    // Inverse-CDF draws over the running sum of `closest` (uniform when all are 0).
    for (int t = 0; t < trials; ++t) {
      int64_t pick = std::min<int64_t>(n - 1, static_cast<int64_t>(uniform(g) * n));
      if (total > 0) {
        const double target = uniform(g) * total;
        double acc = 0;
        pick = n - 1;
        for (int64_t r = 0; r < n; ++r) {
          acc += closest[r];
          if (acc > target) {
            pick = r;
            break;
          }
        }
      }
      x.toDouble(pick, 1, cand.data() + t * d);
    }
    distancesTo(x, xn, cand.data(), trials, threads, dist);
    double bestPotential = std::numeric_limits<double>::infinity();
    int bestTrial = 0;
    for (int t = 0; t < trials; ++t) {
      double potential = 0;
      for (int64_t r = 0; r < n; ++r) potential += std::min(closest[r], dist[t * n + r]);
      if (potential < bestPotential) bestPotential = potential, bestTrial = t;
    }
    std::copy(cand.begin() + bestTrial * d, cand.begin() + (bestTrial + 1) * d, centres.begin() + q * d);
    for (int64_t r = 0; r < n; ++r) closest[r] = std::min(closest[r], dist[bestTrial * n + r]);
  }
  return centres;
}

struct Run {
  std::vector<int32_t> labels;
  std::vector<double> centres;
  double inertia;
  int iterations;
};

Run lloyd(const Rows& x, const std::vector<double>& xn, std::vector<double> centres, const KMeansOptions& o, double tol) {
  const int64_t n = x.n, d = x.d, k = o.k;
  std::vector<int32_t> labels(static_cast<size_t>(n), -1), previous;
  std::vector<double> dist(static_cast<size_t>(n)), scratch;
  std::vector<double> row(static_cast<size_t>(d));
  int it = 0;
  for (; it < o.maxIter; ++it) {
    previous = labels;
    assign(x, xn, centres, k, o.threads, labels, dist, scratch);
    if (labels == previous) break;  // strict convergence: the assignment is a fixed point
    std::vector<double> sums(static_cast<size_t>(k * d), 0.0);
    std::vector<int64_t> counts(static_cast<size_t>(k), 0);
    for (int64_t r = 0; r < n; ++r) {
      x.toDouble(r, 1, row.data());
      double* s = sums.data() + labels[r] * d;
      for (int64_t j = 0; j < d; ++j) s[j] += row[j];
      ++counts[labels[r]];
    }
    // An empty cluster takes the row farthest from its centre (scikit-learn's relocation).
    std::vector<int64_t> order;
    for (int64_t q = 0; q < k; ++q) {
      if (counts[q] > 0) continue;
      if (order.empty()) {
        order.resize(static_cast<size_t>(n));
        for (int64_t r = 0; r < n; ++r) order[r] = r;
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return dist[a] > dist[b]; });
      }
      for (int64_t r : order) {
        if (counts[labels[r]] <= 1) continue;
        x.toDouble(r, 1, row.data());
        double* from = sums.data() + labels[r] * d;
        for (int64_t j = 0; j < d; ++j) from[j] -= row[j];
        --counts[labels[r]];
        labels[r] = static_cast<int32_t>(q);
        std::copy(row.begin(), row.end(), sums.begin() + q * d);
        counts[q] = 1;
        dist[r] = 0;
        break;
      }
    }
    double shift = 0;
    for (int64_t q = 0; q < k; ++q) {
      for (int64_t j = 0; j < d; ++j) {
        const double v = sums[q * d + j] / static_cast<double>(counts[q]);
        shift += (v - centres[q * d + j]) * (v - centres[q * d + j]);
        centres[q * d + j] = v;
      }
    }
    if (shift <= tol) {
      ++it;
      assign(x, xn, centres, k, o.threads, labels, dist, scratch);
      break;
    }
  }
  // Inertia from the differences themselves (no cancellation).
  double inertia = 0;
  for (int64_t r = 0; r < n; ++r) {
    x.toDouble(r, 1, row.data());
    const double* c = centres.data() + labels[r] * d;
    for (int64_t j = 0; j < d; ++j) inertia += (row[j] - c[j]) * (row[j] - c[j]);
  }
  return {std::move(labels), std::move(centres), inertia, std::min(it + 1, o.maxIter)};
}

}  // namespace

KMeansResult kmeans(const Rows& x, const KMeansOptions& o) {
  if (o.k < 1) throw std::invalid_argument("k must be at least 1");
  if (x.n < o.k) throw std::invalid_argument("k = " + std::to_string(o.k) + " clusters need at least as many samples, got " + std::to_string(x.n));
  if (o.restarts < 1 || o.maxIter < 1) throw std::invalid_argument("restarts and max iterations must be at least 1");
  // Tolerance relative to the data's scale: tol times the mean per-feature variance.
  std::vector<double> mean(static_cast<size_t>(x.d), 0.0), sq(static_cast<size_t>(x.d), 0.0), row(static_cast<size_t>(x.d));
  for (int64_t r = 0; r < x.n; ++r) {
    x.toDouble(r, 1, row.data());
    for (int64_t j = 0; j < x.d; ++j) mean[j] += row[j];
  }
  for (double& m : mean) m /= static_cast<double>(x.n);
  for (int64_t r = 0; r < x.n; ++r) {
    x.toDouble(r, 1, row.data());
    for (int64_t j = 0; j < x.d; ++j) sq[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
  }
  double var = 0;
  for (double s : sq) var += s / static_cast<double>(x.n);
  const double tol = o.tol * var / static_cast<double>(x.d);

  const std::vector<double> xn = x.squaredNorms();
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int s = 0; s < o.restarts; ++s) {
    std::mt19937_64 g(o.seed * 1000003ULL + static_cast<uint64_t>(s));
    Run run = lloyd(x, xn, seedCentres(x, xn, o.k, o.threads, g), o, tol);
    if (run.inertia < best.inertia) {
      best.labels = std::move(run.labels);
      best.centres = std::move(run.centres);
      best.inertia = run.inertia;
      best.iterations = run.iterations;
      best.restart = s;
    }
    if (o.progress) o.progress(s + 1, o.restarts);
  }
  return best;
}

}  // namespace gm
