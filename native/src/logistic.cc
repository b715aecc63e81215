#include "logistic.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <stdexcept>

namespace gm {
namespace {

struct Problem {
  const std::vector<double>& x;  // n x d, float64
  const int32_t* y;
  int64_t n, d, rows, classes;
  double alpha;  // 1 / C

  // Objective (sum of log-losses + alpha/2 |W|^2) and its gradient; parameters: rows x (d + 1),
  // the last column the intercepts.
  double eval(const std::vector<double>& p, std::vector<double>& g) const {
    const int64_t dp = d + 1;
    std::fill(g.begin(), g.end(), 0.0);
    std::vector<double> z(static_cast<size_t>(classes));
    double loss = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double* xi = x.data() + i * d;
      if (rows == 1) {  // two classes: one logit for class 1
        double t = p[d];
        for (int64_t j = 0; j < d; ++j) t += p[j] * xi[j];
        const double yy = y[i] == 1 ? 1.0 : -1.0;
        const double m = -yy * t;  // loss log(1 + exp(-y t))
        loss += m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m));
        const double s = -yy / (1.0 + std::exp(yy * t));
        for (int64_t j = 0; j < d; ++j) g[j] += s * xi[j];
        g[d] += s;
        continue;
      }
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < classes; ++k) {
        double t = p[k * dp + d];
        for (int64_t j = 0; j < d; ++j) t += p[k * dp + j] * xi[j];
        z[k] = t;
        mx = std::max(mx, t);
      }
      double se = 0;
      for (int64_t k = 0; k < classes; ++k) se += std::exp(z[k] - mx);
      const double lse = mx + std::log(se);
      loss += lse - z[y[i]];
      for (int64_t k = 0; k < classes; ++k) {
        const double s = std::exp(z[k] - lse) - (k == y[i] ? 1.0 : 0.0);
        for (int64_t j = 0; j < d; ++j) g[k * dp + j] += s * xi[j];
        g[k * dp + d] += s;
      }
    }
    for (int64_t k = 0; k < rows; ++k)
      for (int64_t j = 0; j < d; ++j) {
        loss += 0.5 * alpha * p[k * dp + j] * p[k * dp + j];
        g[k * dp + j] += alpha * p[k * dp + j];
      }
    return loss;
  }
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double maxAbs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

}  // namespace

LogisticModel fitLogistic(const Rows& x, const int32_t* labels, int64_t classes, const LogisticOptions& o) {
  if (classes < 2) throw std::invalid_argument("logistic regression needs at least 2 classes");
  if (!(o.c > 0)) throw std::invalid_argument("C must be positive");
  for (int64_t i = 0; i < x.n; ++i)
    if (labels[i] < 0 || labels[i] >= classes) throw std::invalid_argument("label out of range");
  std::vector<double> xd(static_cast<size_t>(x.n * x.d));
  x.toDouble(0, x.n, xd.data());
  const int64_t rows = classes == 2 ? 1 : classes;
  const Problem pr{xd, labels, x.n, x.d, rows, classes, 1.0 / o.c};
  const size_t np = static_cast<size_t>(rows * (x.d + 1));
  std::vector<double> p(np, 0.0), g(np), pNew(np), gNew(np), dir(np);
  double f = pr.eval(p, g);
  std::deque<std::vector<double>> S, Y;
  std::deque<double> rho;
  int it = 0;
  // L-BFGS (Nocedal & Wright, Alg. 7.4-7.5) with a backtracking Armijo line search; stops on the
  // largest gradient component <= tol (scipy's pgtol for an unbounded problem) or maxIter steps.
  while (it < o.maxIter && maxAbs(g) > o.tol) {
    dir = g;
    std::vector<double> a(S.size());
    for (int q = static_cast<int>(S.size()) - 1; q >= 0; --q) {
      a[q] = rho[q] * dot(S[q], dir);
      for (size_t i = 0; i < np; ++i) dir[i] -= a[q] * Y[q][i];
    }
    const double gamma = S.empty() ? 1.0 / std::max(1.0, maxAbs(g)) : dot(S.back(), Y.back()) / dot(Y.back(), Y.back());
    for (double& v : dir) v *= gamma;
    for (size_t q = 0; q < S.size(); ++q) {
      const double bq = rho[q] * dot(Y[q], dir);
      for (size_t i = 0; i < np; ++i) dir[i] += S[q][i] * (a[q] - bq);
    }
    for (double& v : dir) v = -v;
    double slope = dot(g, dir);
    if (slope >= 0) {  // not a descent direction: restart from the gradient
      S.clear(), Y.clear(), rho.clear();
      for (size_t i = 0; i < np; ++i) dir[i] = -g[i];
      slope = -dot(g, g);
    }
    double step = 1.0, fNew = 0;
    bool accepted = false;
    for (int ls = 0; ls < 50; ++ls) {
      for (size_t i = 0; i < np; ++i) pNew[i] = p[i] + step * dir[i];
      fNew = pr.eval(pNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    ++it;
    if (!accepted) break;
    std::vector<double> s(np), y(np);
    for (size_t i = 0; i < np; ++i) s[i] = pNew[i] - p[i], y[i] = gNew[i] - g[i];
    const double sy = dot(s, y);
    if (sy > 1e-10) {
      S.push_back(std::move(s));
      Y.push_back(std::move(y));
      rho.push_back(1.0 / sy);
      if (static_cast<int>(S.size()) > o.memory) S.pop_front(), Y.pop_front(), rho.pop_front();
    }
    const double fOld = f;
    p.swap(pNew);
    g.swap(gNew);
    f = fNew;
    // scipy's factr test: relative reduction below 64 machine epsilons.
    if ((fOld - f) / std::max({std::fabs(fOld), std::fabs(f), 1.0}) <= 64 * 2.220446049250313e-16) break;
  }
  LogisticModel m;
  m.classes = classes;
  m.d = x.d;
  m.iterations = it;
  m.w.resize(static_cast<size_t>(rows * x.d));
  m.b.resize(static_cast<size_t>(rows));
  for (int64_t k = 0; k < rows; ++k) {
    std::copy(p.begin() + k * (x.d + 1), p.begin() + k * (x.d + 1) + x.d, m.w.begin() + k * x.d);
    m.b[k] = p[k * (x.d + 1) + x.d];
  }
  return m;
}

std::vector<double> predictProba(const LogisticModel& m, const Rows& x) {
  if (x.d != m.d) throw std::invalid_argument("features have a different width than the model");
  const int64_t rows = static_cast<int64_t>(m.b.size()), K = m.classes;
  std::vector<double> out(static_cast<size_t>(x.n * K)), row(static_cast<size_t>(x.d)), z(static_cast<size_t>(K));
  for (int64_t i = 0; i < x.n; ++i) {
    x.toDouble(i, 1, row.data());
    if (rows == 1) {
      double t = m.b[0];
      for (int64_t j = 0; j < x.d; ++j) t += m.w[j] * row[j];
      const double p1 = 1.0 / (1.0 + std::exp(-t));
      out[i * K] = 1.0 - p1;
      out[i * K + 1] = p1;
      continue;
    }
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < K; ++k) {
      double t = m.b[k];
      for (int64_t j = 0; j < x.d; ++j) t += m.w[k * x.d + j] * row[j];
      z[k] = t;
      mx = std::max(mx, t);
    }
    double se = 0;
    for (int64_t k = 0; k < K; ++k) se += std::exp(z[k] - mx);
    for (int64_t k = 0; k < K; ++k) out[i * K + k] = std::exp(z[k] - mx) / se;
  }
  return out;
}

}  // namespace gm
