#include "symmetric_eigen.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gemm.h"
#include "parallel.h"
#include "scratch.h"

// Two-stage tridiagonalisation (Bischof, Lang & Sun, "A framework for symmetric band reduction",
// ACM TOMS 2000; the scheme of LAPACK's dsytrd_sy2sb + dsytrd_sb2st):
//   1. dense -> band of width b with blocked Householder QR of each panel; the two-sided update
//      of the trailing matrix is one GEMM of rank 2b, so nearly all flops run at GEMM speed
//      (one-stage dsytrd spends half of them in memory-bound matrix-vector products);
//   2. band -> tridiagonal by bulge chasing, O(n^2 b) flops on a compact band kept in cache;
//   3. eigenvalues of the tridiagonal matrix by the root-free QL/QR iteration (dsterf).
// Only orthogonal similarity transforms are applied, so the eigenvalues are preserved.

namespace gm {
namespace {

using MatD = Eigen::MatrixXd;
constexpr int kBand = 32;

// X = A V for symmetric A (m x m, lower triangle valid, leading dimension lda) and V (m x r,
// column-major, leading dimension m). Row blocks of X are independent tasks; A's upper blocks
// are read as transposes of the lower ones, so the stale upper triangle is never touched.
void symmetricTimes(int64_t m, int64_t r, const double* a, int64_t lda, const double* v, double* x, int threads) {
  constexpr int64_t w = 256;
  const long blocks = static_cast<long>((m + w - 1) / w);
  std::fill(x, x + m * r, 0.0);
  parallelFor(blocks, threads, [&](long bi) {
    const int64_t i0 = bi * w, ib = std::min(w, m - i0);
    double* xi = x + i0;
    for (int64_t j0 = 0; j0 < m; j0 += w) {
      const int64_t jb = std::min(w, m - j0);
      const View vj = colMajor(v + j0, m);
      if (j0 < i0) {  // A(I, J) is in the lower triangle
        gemm(ib, r, jb, 1.0, colMajor(a + j0 * lda + i0, lda), vj, xi, m, Part::Full, 1);
      } else if (j0 > i0) {  // A(I, J) = A(J, I)^T
        gemm(ib, r, jb, 1.0, colMajor(a + i0 * lda + j0, lda).t(), vj, xi, m, Part::Full, 1);
      } else {  // diagonal block: mirror its lower triangle first
        Scratch d(static_cast<size_t>(ib) * ib);
        for (int64_t c = 0; c < ib; ++c)
          for (int64_t i = c; i < ib; ++i) d.data()[c * ib + i] = d.data()[i * ib + c] = a[(i0 + c) * lda + i0 + i];
        gemm(ib, r, ib, 1.0, colMajor(d.data(), ib), vj, xi, m, Part::Full, 1);
      }
    }
  });
}

// Stage 1, in place on the column-major n x n matrix `a` (lower triangle valid): afterwards its
// lower band of width b holds a band matrix with the eigenvalues of the input.
void reduceToBand(Eigen::Ref<MatD> a, int b, int threads) {
  const Eigen::Index n = a.rows(), ld = a.outerStride();
  MatD zv, vz, x;
  for (Eigen::Index k = 0; k + b < n - 1; k += b) {
    const Eigen::Index r0 = k + b, m = n - r0;
    // Panel below the band: P = Q R.
    Eigen::HouseholderQR<MatD> qr(a.block(r0, k, m, b));
    const MatD& f = qr.matrixQR();
    const Eigen::Index nref = std::min<Eigen::Index>(m, b);
    MatD v = MatD::Zero(m, nref);
    for (Eigen::Index j = 0; j < nref; ++j) {
      v(j, j) = 1.0;
      v.col(j).tail(m - j - 1) = f.col(j).tail(m - j - 1);
    }
    // Compact WY form Q = I - V T V^T (LAPACK dlarft, forward and columnwise).
    const Eigen::VectorXd& tau = qr.hCoeffs();
    MatD t = MatD::Zero(nref, nref);
    for (Eigen::Index i = 0; i < nref; ++i) {
      t(i, i) = tau(i);
      if (i > 0) {
        Eigen::VectorXd y = -tau(i) * (v.leftCols(i).transpose() * v.col(i));
        t.col(i).head(i) = t.topLeftCorner(i, i).triangularView<Eigen::Upper>() * y;
      }
    }
    // The panel becomes R.
    a.block(r0, k, m, b) = f.triangularView<Eigen::Upper>();
    // Trailing A22 <- Q^T A22 Q = A22 - Z V^T - V Z^T with X = A22 V T,
    // Z = X - V (T^T V^T X) / 2 (a rank-2b update of the lower triangle).
    double* a22 = a.data() + r0 * ld + r0;
    x.resize(m, nref);
    symmetricTimes(m, nref, a22, ld, v.data(), x.data(), threads);
    MatD w = x * t.triangularView<Eigen::Upper>();
    MatD u = t.transpose().triangularView<Eigen::Lower>() * (v.transpose() * w);
    zv.resize(m, 2 * nref);
    vz.resize(m, 2 * nref);
    zv.leftCols(nref) = w - 0.5 * v * u;
    zv.rightCols(nref) = v;
    vz.leftCols(nref) = v;
    vz.rightCols(nref) = zv.leftCols(nref);
    gemm(m, m, 2 * nref, -1.0, colMajor(zv.data(), m), colMajor(vz.data(), m).t(), a22, ld, Part::Lower, threads);
  }
}

// A Householder reflector H = I - tau v v^T (v[0] = 1) with H x = (beta, 0, ..., 0)
// (LAPACK dlarfg). x is overwritten by v; returns beta.
double householder(double* x, int len, double& tau) {
  double ss = 0;
  for (int i = 1; i < len; ++i) ss += x[i] * x[i];
  double xnorm = std::sqrt(ss);
  if (!(ss > 1e-280 && ss < 1e280)) {  // under- or overflow risk: the slow, safe norm
    xnorm = 0;
    for (int i = 1; i < len; ++i) xnorm = std::hypot(xnorm, x[i]);
  }
  const double alpha = x[0];
  x[0] = 1.0;
  if (xnorm == 0.0) {
    tau = 0.0;
    return alpha;
  }
  const double beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
  tau = (beta - alpha) / beta;
  const double s = 1.0 / (alpha - beta);
  for (int i = 1; i < len; ++i) x[i] *= s;
  return beta;
}

// Lower band of a symmetric matrix, column-major with room for the bulges: (i, j), 0 <= i - j
// <= 2b, lives at data[j * ld + i - j].
struct Band {
  int n, ld;
  std::vector<double> data;
  double* col(int i, int j) { return data.data() + static_cast<size_t>(j) * ld + (i - j); }
};

// D <- H D H for the symmetric block rows/cols [s, s + len) (dsyr2-style two-sided update).
void twoSided(Band& band, int s, int len, const double* v, double tau, double* w) {
  if (tau == 0.0) return;
  std::fill(w, w + len, 0.0);
  for (int c = 0; c < len; ++c) {
    const double* d = band.col(s + c, s + c);
    w[c] += d[0] * v[c];
    double acc = 0;
    for (int i = c + 1; i < len; ++i) {
      w[i] += d[i - c] * v[c];
      acc += d[i - c] * v[i];
    }
    w[c] += acc;
  }
  double vw = 0;
  for (int i = 0; i < len; ++i) vw += v[i] * w[i];
  const double alpha = -0.5 * tau * tau * vw;
  for (int i = 0; i < len; ++i) w[i] = tau * w[i] + alpha * v[i];
  for (int c = 0; c < len; ++c) {
    double* d = band.col(s + c, s + c);
    for (int i = c; i < len; ++i) d[i - c] -= v[i] * w[c] + w[i] * v[c];
  }
}

// Stage 2: chase the band (width b) down to tridiagonal form, sweep by sweep (LAPACK dsb2st's
// order: annihilate column j within the band, then push the bulge this creates off the end).
void bandToTridiagonal(Band& band, int b, Eigen::VectorXd& diag, Eigen::VectorXd& sub) {
  const int n = band.n;
  std::vector<double> v(b), v2(b), w(b);
  for (int j = 0; j + 2 < n; ++j) {
    int st = j + 1, ed = std::min(j + b, n - 1), len = ed - st + 1;
    if (len < 2) continue;
    double tau;
    double* x = band.col(st, j);
    std::copy(x, x + len, v.begin());
    x[0] = householder(v.data(), len, tau);
    std::fill(x + 1, x + len, 0.0);
    twoSided(band, st, len, v.data(), tau, w.data());
    while (ed + 1 < n) {
      const int j1 = ed + 1, j2 = std::min(ed + b, n - 1), lb = j2 - j1 + 1;
      // Right: B <- B H on rows [j1, j2], cols [st, ed].
      if (tau != 0.0) {
        std::fill(w.begin(), w.begin() + lb, 0.0);
        for (int c = 0; c < len; ++c) {
          const double* bc = band.col(j1, st + c);
          for (int i = 0; i < lb; ++i) w[i] += bc[i] * v[c];
        }
        for (int c = 0; c < len; ++c) {
          double* bc = band.col(j1, st + c);
          const double f = tau * v[c];
          for (int i = 0; i < lb; ++i) bc[i] -= w[i] * f;
        }
      }
      // A new reflector zeroes the bulge's first column; apply it from the left to the rest.
      double tau2 = 0.0;
      double* b0 = band.col(j1, st);
      std::copy(b0, b0 + lb, v2.begin());
      b0[0] = householder(v2.data(), lb, tau2);
      std::fill(b0 + 1, b0 + lb, 0.0);
      if (tau2 != 0.0) {
        for (int c = 1; c < len; ++c) {
          double* bc = band.col(j1, st + c);
          double s = 0;
          for (int i = 0; i < lb; ++i) s += v2[i] * bc[i];
          s *= tau2;
          for (int i = 0; i < lb; ++i) bc[i] -= s * v2[i];
        }
      }
      twoSided(band, j1, lb, v2.data(), tau2, w.data());
      st = j1;
      ed = j2;
      len = lb;
      tau = tau2;
      std::swap(v, v2);
    }
  }
  diag.resize(n);
  sub.resize(std::max(n - 1, 0));
  for (int i = 0; i < n; ++i) diag[i] = *band.col(i, i);
  for (int i = 0; i + 1 < n; ++i) sub[i] = *band.col(i + 1, i);
}

// Eigenvalues of [[a, b], [b, c]] (LAPACK dlae2).
void eigen2x2(double a, double b, double c, double& rt1, double& rt2) {
  const double sm = a + c, adf = std::abs(a - c), ab = std::abs(b + b);
  const double acmx = std::abs(a) > std::abs(c) ? a : c, acmn = std::abs(a) > std::abs(c) ? c : a;
  double rt;
  if (adf > ab)
    rt = adf * std::sqrt(1.0 + (ab / adf) * (ab / adf));
  else if (adf < ab)
    rt = ab * std::sqrt(1.0 + (adf / ab) * (adf / ab));
  else
    rt = ab * std::sqrt(2.0);
  if (sm == 0.0) {
    rt1 = 0.5 * rt;
    rt2 = -0.5 * rt;
    return;
  }
  rt1 = sm < 0 ? 0.5 * (sm - rt) : 0.5 * (sm + rt);
  rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
}

// Eigenvalues (unsorted, into d) of the symmetric tridiagonal matrix with diagonal d and
// off-diagonal e, by the square-root-free implicit QL/QR iteration of Pal, Walker and Kahan
// (Parlett, "The Symmetric Eigenvalue Problem", 8.15; the algorithm of LAPACK dsterf). Each block
// between negligible off-diagonals is iterated from its end with the smaller diagonal entry.
void tridiagonalEigenvalues(Eigen::VectorXd& d, Eigen::VectorXd& e) {
  const Eigen::Index n = d.size();
  const double eps = std::numeric_limits<double>::epsilon() / 2, eps2 = eps * eps;
  const int64_t maxIterations = 30 * static_cast<int64_t>(n);
  int64_t iterations = 0;
  Eigen::Index l1 = 0;
  while (l1 < n) {
    if (l1 > 0) e[l1 - 1] = 0;
    Eigen::Index m = l1;
    for (; m < n - 1; ++m) {
      const double t = std::abs(e[m]);
      if (t == 0) break;
      if (t <= std::sqrt(std::abs(d[m])) * std::sqrt(std::abs(d[m + 1])) * eps) {
        e[m] = 0;
        break;
      }
    }
    Eigen::Index l = l1, lend = m;
    const Eigen::Index lsv = l, lendsv = lend;
    l1 = m + 1;
    if (lend == l) continue;
    // Scale blocks whose squares could over- or underflow.
    double norm = 0;
    for (Eigen::Index i = l; i <= lend; ++i) norm = std::max(norm, std::abs(d[i]));
    for (Eigen::Index i = l; i < lend; ++i) norm = std::max(norm, std::abs(e[i]));
    if (norm == 0) continue;
    const double scale = norm > 1e150 || norm < 1e-150 ? 1.0 / norm : 1.0;
    if (scale != 1.0) {
      d.segment(l, lend - l + 1) *= scale;
      e.segment(l, lend - l) *= scale;
    }
    for (Eigen::Index i = l; i < lend; ++i) e[i] *= e[i];
    if (std::abs(d[lend]) < std::abs(d[l])) std::swap(l, lend);
    if (lend >= l) {  // QL iteration
      while (l <= lend) {
        for (m = l; m < lend; ++m)
          if (std::abs(e[m]) <= eps2 * std::abs(d[m] * d[m + 1])) break;
        if (m < lend) e[m] = 0;
        double p = d[l];
        if (m == l) {
          ++l;
          continue;
        }
        if (m == l + 1) {
          double rt1, rt2;
          eigen2x2(d[l], std::sqrt(e[l]), d[l + 1], rt1, rt2);
          d[l] = rt1;
          d[l + 1] = rt2;
          e[l] = 0;
          l += 2;
          continue;
        }
        if (iterations == maxIterations) break;
        ++iterations;
        const double rte = std::sqrt(e[l]);
        double sigma = (d[l + 1] - p) / (2 * rte);
        const double r0 = std::hypot(sigma, 1.0);
        sigma = p - rte / (sigma + std::copysign(r0, sigma));
        double c = 1, s = 0, gamma = d[m] - sigma;
        p = gamma * gamma;
        for (Eigen::Index i = m - 1; i >= l; --i) {
          const double bb = e[i], r = p + bb;
          if (i != m - 1) e[i + 1] = s * r;
          const double oldc = c;
          c = p / r;
          s = bb / r;
          const double oldgam = gamma, alpha = d[i];
          gamma = c * (alpha - sigma) - s * oldgam;
          d[i + 1] = oldgam + (alpha - gamma);
          p = c != 0 ? (gamma * gamma) / c : oldc * bb;
        }
        e[l] = s * p;
        d[l] = sigma + gamma;
      }
    } else {  // QR iteration
      while (l >= lend) {
        for (m = l; m > lend; --m)
          if (std::abs(e[m - 1]) <= eps2 * std::abs(d[m] * d[m - 1])) break;
        if (m > lend) e[m - 1] = 0;
        double p = d[l];
        if (m == l) {
          --l;
          continue;
        }
        if (m == l - 1) {
          double rt1, rt2;
          eigen2x2(d[l], std::sqrt(e[l - 1]), d[l - 1], rt1, rt2);
          d[l] = rt1;
          d[l - 1] = rt2;
          e[l - 1] = 0;
          l -= 2;
          continue;
        }
        if (iterations == maxIterations) break;
        ++iterations;
        const double rte = std::sqrt(e[l - 1]);
        double sigma = (d[l - 1] - p) / (2 * rte);
        const double r0 = std::hypot(sigma, 1.0);
        sigma = p - rte / (sigma + std::copysign(r0, sigma));
        double c = 1, s = 0, gamma = d[m] - sigma;
        p = gamma * gamma;
        for (Eigen::Index i = m; i <= l - 1; ++i) {
          const double bb = e[i], r = p + bb;
          if (i != m) e[i - 1] = s * r;
          const double oldc = c;
          c = p / r;
          s = bb / r;
          const double oldgam = gamma, alpha = d[i + 1];
          gamma = c * (alpha - sigma) - s * oldgam;
          d[i] = oldgam + (alpha - gamma);
          p = c != 0 ? (gamma * gamma) / c : oldc * bb;
        }
        e[l - 1] = s * p;
        d[l] = sigma + gamma;
      }
    }
    if (scale != 1.0) d.segment(lsv, lendsv - lsv + 1) /= scale;
    if (iterations == maxIterations) throw std::runtime_error("symmetric eigenvalue iteration did not converge");
  }
}

}  // namespace

Eigen::VectorXd symmetricEigenvalues(Eigen::Ref<Eigen::MatrixXd> m, int threads) {
  const Eigen::Index n = m.rows();
  Eigen::VectorXd diag, sub;
  if (n <= 4 * kBand) {  // too small for the band reduction to pay
    Eigen::Tridiagonalization<MatD> tri(m);
    diag = tri.diagonal();
    sub = tri.subDiagonal();
    tridiagonalEigenvalues(diag, sub);
    return diag;
  }
  reduceToBand(m, kBand, threads);
  Band band{static_cast<int>(n), 2 * kBand + 1, {}};
  band.data.assign(static_cast<size_t>(n) * band.ld, 0.0);  // 2048-d: 1 MiB
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index d = 0; d <= kBand && j + d < n; ++d) *band.col(j + d, j) = m(j + d, j);
  bandToTridiagonal(band, kBand, diag, sub);
  tridiagonalEigenvalues(diag, sub);
  return diag;
}

void symmetricTopEigen(const Eigen::Ref<const Eigen::MatrixXd>& m, int top, Eigen::VectorXd& values, Eigen::MatrixXd& vectors) {
  const Eigen::SelfAdjointEigenSolver<MatD> solver(m, Eigen::ComputeEigenvectors);
  if (solver.info() != Eigen::Success) throw std::runtime_error("the symmetric eigensolver did not converge");
  values = solver.eigenvalues().tail(top).reverse();  // ascending -> the top ones, descending
  vectors = solver.eigenvectors().rightCols(top).rowwise().reverse();
}

}  // namespace gm
