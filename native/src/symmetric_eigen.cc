#include "symmetric_eigen.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "gemm.h"

// Two-stage tridiagonalisation (Bischof, Lang & Sun, "A framework for symmetric band reduction",
// ACM TOMS 2000; the scheme of LAPACK's dsytrd_sy2sb + dsytrd_sb2st):
//   1. dense -> band of width b with blocked Householder QR of each panel; the two-sided update
//      of the trailing matrix is one GEMM of rank 2b, so nearly all flops run at GEMM speed
//      (one-stage dsytrd spends half of them in memory-bound matrix-vector products);
//   2. band -> tridiagonal by bulge chasing, O(n^2 b) flops on a compact band kept in cache;
//   3. eigenvalues of the tridiagonal matrix by Eigen's implicit symmetric QR.
// Only orthogonal similarity transforms are applied, so the eigenvalues are preserved.

namespace gm {
namespace {

using MatD = Eigen::MatrixXd;
constexpr int kBand = 32;

// Stage 1, in place on the column-major n x n matrix `a` (full symmetric storage): afterwards
// its lower band of width b holds a band matrix with the eigenvalues of the input.
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
    // Z = X - V (T^T V^T X) / 2.
    double* a22 = a.data() + r0 * ld + r0;
    x.setZero(m, nref);
    gemm(m, nref, m, 1.0, colMajor(a22, ld), colMajor(v.data(), m), x.data(), m, Part::Full, threads);
    MatD w = x * t.triangularView<Eigen::Upper>();
    MatD u = t.transpose().triangularView<Eigen::Lower>() * (v.transpose() * w);
    zv.resize(m, 2 * nref);
    vz.resize(m, 2 * nref);
    zv.leftCols(nref) = w - 0.5 * v * u;
    zv.rightCols(nref) = v;
    vz.leftCols(nref) = v;
    vz.rightCols(nref) = zv.leftCols(nref);
    gemm(m, m, 2 * nref, -1.0, colMajor(zv.data(), m), colMajor(vz.data(), m).t(), a22, ld, Part::Full, threads);
  }
}

// A Householder reflector H = I - tau v v^T (v[0] = 1) with H x = (beta, 0, ..., 0)
// (LAPACK dlarfg). x is overwritten by v; returns beta.
double householder(double* x, int len, double& tau) {
  double xnorm = 0;
  for (int i = 1; i < len; ++i) xnorm = std::hypot(xnorm, x[i]);
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

Eigen::VectorXd fromTridiagonal(Eigen::VectorXd& diag, Eigen::VectorXd& sub) {
  Eigen::SelfAdjointEigenSolver<MatD> es;
  es.computeFromTridiagonal(diag, sub, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw std::runtime_error("symmetric eigenvalue iteration did not converge");
  return es.eigenvalues();
}

}  // namespace

Eigen::VectorXd symmetricEigenvalues(Eigen::Ref<Eigen::MatrixXd> m, int threads, Tridiagonal method) {
  const Eigen::Index n = m.rows();
  Eigen::VectorXd diag, sub;
  if (method == Tridiagonal::OneStage || n <= 4 * kBand) {
    Eigen::Tridiagonalization<MatD> tri(m);
    diag = tri.diagonal();
    sub = tri.subDiagonal();
    return fromTridiagonal(diag, sub);
  }
  m.triangularView<Eigen::StrictlyUpper>() = m.transpose();
  reduceToBand(m, kBand, threads);
  Band band{static_cast<int>(n), 2 * kBand + 1, {}};
  band.data.assign(static_cast<size_t>(n) * band.ld, 0.0);  // 2048-d: 1 MiB
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index d = 0; d <= kBand && j + d < n; ++d) *band.col(j + d, j) = m(j + d, j);
  bandToTridiagonal(band, kBand, diag, sub);
  return fromTridiagonal(diag, sub);
}

}  // namespace gm
