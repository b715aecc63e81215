#include "linear_svm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "parallel.h"

namespace gm {
namespace {

// x.y with eight partial sums (vectorisable without reassociating a single chain).
double dot(const double* x, const double* y, int64_t d) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int k = 0; k < 8; ++k) acc[k] += x[j + k] * y[j + k];
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; j < d; ++j) s += x[j] * y[j];
  return s;
}

// One binary problem (y = +1 / -1) in the dual: min 1/2 a^T (Q + D) a - e^T a, a >= 0, with
// Q_ij = y_i y_j x_i.x_j and D = 1/(2C) I for the squared hinge. w = sum a_i y_i x_i is kept
// up to date, so each coordinate step costs two passes over one row.
int solve(const std::vector<double>& x, int64_t n, int64_t d, const std::vector<int8_t>& y, const LinearSvmOptions& o,
          double cp, double cn, double* w, uint64_t seed) {
  const double diagP = 0.5 / cp, diagN = 0.5 / cn;
  std::vector<double> alpha(static_cast<size_t>(n), 0.0), qd(static_cast<size_t>(n));
  std::vector<int64_t> index(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = x.data() + i * d;
    qd[i] = (y[i] > 0 ? diagP : diagN) + dot(xi, xi, d);
    index[i] = i;
  }
  std::fill(w, w + d, 0.0);
  std::mt19937_64 g(seed);
  int64_t active = n;
  // Shrinking (LIBLINEAR): a coordinate at its bound whose gradient exceeds the last pass's largest
  // projected gradient is set aside until the active set converges. (No upper bound for this loss.)
  double pgMaxOld = std::numeric_limits<double>::infinity();
  int iter = 0;
  while (iter < o.maxIter) {
    double pgMax = -std::numeric_limits<double>::infinity(), pgMin = -pgMax;
    for (int64_t i = 0; i < active; ++i) std::swap(index[i], index[i + static_cast<int64_t>(g() % static_cast<uint64_t>(active - i))]);
    for (int64_t s = 0; s < active; ++s) {
      const int64_t i = index[s];
      const double* xi = x.data() + i * d;
      const double G = y[i] * dot(w, xi, d) - 1 + (y[i] > 0 ? diagP : diagN) * alpha[i];
      double pg = 0;
      if (alpha[i] == 0) {
        if (G > pgMaxOld) {  // shrink: this coordinate is likely to stay at its bound
          --active;
          std::swap(index[s], index[active]);
          --s;
          continue;
        }
        if (G < 0) pg = G;
      } else {
        pg = G;
      }
      pgMax = std::max(pgMax, pg);
      pgMin = std::min(pgMin, pg);
      if (std::fabs(pg) > 1e-12) {
        const double old = alpha[i];
        alpha[i] = std::max(alpha[i] - G / qd[i], 0.0);
        const double step = (alpha[i] - old) * y[i];
        for (int64_t j = 0; j < d; ++j) w[j] += step * xi[j];
      }
    }
    ++iter;
    if (pgMax - pgMin <= o.tol) {
      if (active == n) break;
      active = n;  // converged on the active set: check all coordinates once more
      pgMaxOld = std::numeric_limits<double>::infinity();
      continue;
    }
    pgMaxOld = pgMax <= 0 ? std::numeric_limits<double>::infinity() : pgMax;
  }
  return iter;
}

}  // namespace

LinearSvmModel trainLinearSvm(const Rows& x, const int32_t* labels, int64_t classes, const LinearSvmOptions& o) {
  if (classes < 2) throw std::invalid_argument("a classifier needs at least 2 classes");
  if (!(o.c > 0)) throw std::invalid_argument("C must be positive");
  for (int64_t i = 0; i < x.n; ++i)
    if (labels[i] < 0 || labels[i] >= classes) throw std::invalid_argument("label out of range");
  const bool bias = o.bias > 0;
  const int64_t d = x.d + (bias ? 1 : 0);
  std::vector<double> xb(static_cast<size_t>(x.n * d));
  for (int64_t i = 0; i < x.n; ++i) {
    x.toDouble(i, 1, xb.data() + i * d);
    if (bias) xb[i * d + x.d] = o.bias;
  }
  if (!o.classWeight.empty() && static_cast<int64_t>(o.classWeight.size()) != classes)
    throw std::invalid_argument("one class weight per class is needed");
  const auto weight = [&](int64_t k) { return o.classWeight.empty() ? 1.0 : o.classWeight[k]; };
  const int64_t problems = classes == 2 ? 1 : classes;
  LinearSvmModel m;
  m.classes = classes;
  m.d = x.d;
  m.w.assign(static_cast<size_t>(problems * x.d), 0.0);
  m.b.assign(static_cast<size_t>(problems), 0.0);
  m.iterations.assign(static_cast<size_t>(problems), 0);
  parallelFor(problems, o.threads, [&](long k) {
    const int32_t positive = classes == 2 ? 1 : static_cast<int32_t>(k);
    std::vector<int8_t> y(static_cast<size_t>(x.n));
    for (int64_t i = 0; i < x.n; ++i) y[i] = labels[i] == positive ? 1 : -1;
    std::vector<double> w(static_cast<size_t>(d));
    const double cp = o.c * weight(positive), cn = classes == 2 ? o.c * weight(0) : o.c;
    m.iterations[k] = solve(xb, x.n, d, y, o, cp, cn, w.data(), o.seed * 7919 + static_cast<uint64_t>(k));
    std::copy(w.begin(), w.begin() + x.d, m.w.begin() + k * x.d);
    if (bias) m.b[k] = w[x.d] * o.bias;
  });
  return m;
}

std::vector<int32_t> predictLinearSvm(const LinearSvmModel& m, const Rows& x) {
  if (x.d != m.d) throw std::invalid_argument("features have a different width than the model");
  const int64_t problems = static_cast<int64_t>(m.b.size());
  std::vector<int32_t> out(static_cast<size_t>(x.n));
  std::vector<double> row(static_cast<size_t>(x.d));
  for (int64_t i = 0; i < x.n; ++i) {
    x.toDouble(i, 1, row.data());
    double best = -std::numeric_limits<double>::infinity();
    int32_t arg = 0;
    for (int64_t k = 0; k < problems; ++k) {
      double v = m.b[k];
      for (int64_t j = 0; j < x.d; ++j) v += m.w[k * x.d + j] * row[j];
      if (problems == 1) {
        arg = v > 0 ? 1 : 0;
        break;
      }
      if (v > best) best = v, arg = static_cast<int32_t>(k);
    }
    out[i] = arg;
  }
  return out;
}

}  // namespace gm
