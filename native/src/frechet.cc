#include "frechet.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <limits>
#include <stdexcept>

#include "cholesky.h"
#include "gemm.h"
#include "scratch.h"
#include "symmetric_eigen.h"

namespace gm {
namespace {

using MatD = Eigen::MatrixXd;
using ConstMap = Eigen::Map<const MatD>;

// Finite and symmetric, compared tile by tile so that (i, j) and (j, i) both come from cache.
void checkSymmetric(const ConstMap& s, const char* name) {
  const Eigen::Index d = s.rows();
  constexpr Eigen::Index T = 64;
  double scale = 0, asym = 0;
  for (Eigen::Index j0 = 0; j0 < d; j0 += T) {
    for (Eigen::Index i0 = j0; i0 < d; i0 += T) {
      const Eigen::Index j1 = std::min(d, j0 + T), i1 = std::min(d, i0 + T);
      for (Eigen::Index j = j0; j < j1; ++j) {
        for (Eigen::Index i = std::max(i0, j); i < i1; ++i) {
          const double v = s(i, j), u = s(j, i);
          if (!std::isfinite(v) || !std::isfinite(u))
            throw std::invalid_argument(std::string(name) + " contains NaN or Inf");
          scale = std::max(scale, std::abs(v));
          asym = std::max(asym, std::abs(v - u));
        }
      }
    }
  }
  if (asym > 1e-6 * scale + 1e-300) {
    char msg[160];
    std::snprintf(msg, sizeof msg, " is not symmetric: max |S - S^T| = %.3g, more than 1e-6 x max |S| = %.3g", asym,
                  1e-6 * scale);
    throw std::invalid_argument(std::string(name) + msg);
  }
}

// Positive semi-definite up to tol = 1e-6 ||S||_F (the Frobenius norm bounds max |eigenvalue|;
// round-off eigenvalues of a genuine covariance are ~1e-16 of it). Cholesky of S + tol I succeeds
// exactly when no eigenvalue of S is below -tol (up to that same round-off), so the common case
// costs one factorisation; the eigenvalues are computed only to name the offending one.
void checkPositiveSemidefinite(const ConstMap& s, const char* name, int threads) {
  const Eigen::Index d = s.rows();
  const double tol = 1e-6 * s.norm();
  if (tol == 0) return;  // the zero matrix
  Scratch buf(static_cast<size_t>(d) * d);
  Eigen::Map<MatD> l(buf.data(), d, d);
  l = s;
  l.diagonal().array() += tol;
  if (choleskyLower(l.data(), d, threads)) return;
  l = s;
  const double lowest = symmetricEigenvalues(l, threads).minCoeff();
  if (lowest >= -tol) return;  // the factorisation's own round-off at the boundary
  char msg[256];
  std::snprintf(msg, sizeof msg,
                " is not positive semi-definite: it has a negative eigenvalue %.6g (tolerance %.3g = 1e-6 x its "
                "Frobenius norm)",
                lowest, tol);
  throw std::invalid_argument(std::string(name) + msg);
}

double sumSqrtClipped(const Eigen::VectorXd& w) {
  // Negative eigenvalues of a PSD product are round-off: clip them to zero.
  double s = 0;
  for (Eigen::Index i = 0; i < w.size(); ++i) s += w[i] > 0 ? std::sqrt(w[i]) : 0.0;
  return s;
}

}  // namespace

double traceSqrtProduct(int dims, const double* a, const double* b, int threads, std::string* route) {
  ConstMap A(a, dims, dims), B(b, dims, dims);
  const int64_t n = dims;
  const size_t nn = static_cast<size_t>(n) * n;
  Scratch lBuf(nn), yBuf(nn), mBuf(nn);
  Eigen::Map<MatD> l(lBuf.data(), n, n), y(yBuf.data(), n, n), m(mBuf.data(), n, n);
  // Fast route: A = L L^T (Cholesky), and L^T B L is similar to A B, so it has the eigenvalues of
  // A^1/2 B A^1/2. Used only when A is safely positive definite: for a (numerically) singular A,
  // e.g. fewer samples than dimensions, the reference tools' values include the square roots of
  // round-off eigenvalues, so we follow their symmetric-square-root route there instead.
  l = A;
  if (choleskyLower(l.data(), n, threads)) {
    const double maxDiag = A.diagonal().maxCoeff();
    const double minPivot2 = l.diagonal().array().square().minCoeff();
    if (minPivot2 > 1e-9 * maxDiag) {
      // Y = B L, skipping L's zero upper blocks; then the lower triangle of L^T Y.
      constexpr int64_t nb = 256;
      y.setZero();
      m.setZero();
      for (int64_t j0 = 0; j0 < n; j0 += nb) {
        const int64_t jb = std::min(nb, n - j0);
        gemm(n, jb, n - j0, 1.0, colMajor(b + j0 * n, n), colMajor(l.data() + j0 * n + j0, n), y.data() + j0 * n, n,
             Part::Full, threads);
      }
      for (int64_t i0 = 0; i0 < n; i0 += nb) {
        const int64_t ib = std::min(nb, n - i0);
        gemm(ib, i0 + ib, n - i0, 1.0, colMajor(l.data() + i0 * n + i0, n).t(), colMajor(y.data() + i0, n),
             m.data() + i0, n, Part::Full, threads);
      }
      if (route) *route = "cholesky";
      return sumSqrtClipped(symmetricEigenvalues(m, threads));
    }
  }
  // Symmetric route: A^1/2 = V diag(sqrt(max(w, 0))) V^T, then the eigenvalues of A^1/2 B A^1/2.
  Eigen::SelfAdjointEigenSolver<MatD> es(A, Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success) return std::numeric_limits<double>::quiet_NaN();
  Eigen::VectorXd r = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  MatD vr = es.eigenvectors() * r.asDiagonal();
  l.setZero();
  gemm(n, n, n, 1.0, colMajor(vr.data(), n), colMajor(es.eigenvectors().data(), n).t(), l.data(), n, Part::Full,
       threads);  // A^1/2
  y.setZero();
  m.setZero();
  gemm(n, n, n, 1.0, colMajor(l.data(), n), colMajor(b, n), y.data(), n, Part::Full, threads);
  gemm(n, n, n, 1.0, colMajor(y.data(), n), colMajor(l.data(), n), m.data(), n, Part::Full, threads);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = j + 1; i < n; ++i) m(i, j) = 0.5 * (m(i, j) + m(j, i));
  if (route) *route = "eigh";
  return sumSqrtClipped(symmetricEigenvalues(m, threads));
}

FrechetResult frechetDistance(int dims, const double* mu1, const double* s1, const double* mu2, const double* s2,
                              double eps, int threads) {
  if (dims <= 0) throw std::invalid_argument("dimension must be positive");
  ConstMap S1(s1, dims, dims), S2(s2, dims, dims);
  Eigen::Map<const Eigen::VectorXd> m1(mu1, dims), m2(mu2, dims);
  if (!m1.allFinite()) throw std::invalid_argument("mu1 contains NaN or Inf");
  if (!m2.allFinite()) throw std::invalid_argument("mu2 contains NaN or Inf");
  checkSymmetric(S1, "sigma1");
  checkSymmetric(S2, "sigma2");
  checkPositiveSemidefinite(S1, "sigma1", threads);
  checkPositiveSemidefinite(S2, "sigma2", threads);

  FrechetResult res;
  res.meanTerm = (m1 - m2).squaredNorm();
  res.trace1 = S1.trace();
  res.trace2 = S2.trace();
  res.traceSqrt = traceSqrtProduct(dims, s1, s2, threads, &res.route);
  if (!std::isfinite(res.traceSqrt)) {
    // pytorch-fid: when the product's square root is not finite, add eps to both diagonals.
    MatD a = S1, b = S2;
    a.diagonal().array() += eps;
    b.diagonal().array() += eps;
    res.traceSqrt = traceSqrtProduct(dims, a.data(), b.data(), threads, &res.route);
    res.epsApplied = true;
    if (!std::isfinite(res.traceSqrt)) throw std::runtime_error("Fréchet distance is not finite even with eps offset");
  }
  res.distance = res.meanTerm + res.trace1 + res.trace2 - 2.0 * res.traceSqrt;
  res.rawDistance = res.distance;
  // With both covariances PSD the distance is >= 0; a negative result is cancellation in
  // tr S1 + tr S2 - 2 tr(...)^1/2, dominated by the square roots of round-off eigenvalues of a
  // singular product (identical statistics with N < D reach ~6e-7 of tr S1 + tr S2). Within
  // 1e-5 of the traces it is reported as 0 (clamped); beyond that it is refused, never returned.
  if (res.distance < 0) {
    const double tol = 1e-5 * (res.trace1 + res.trace2);
    if (res.distance < -tol) {
      char msg[256];
      std::snprintf(msg, sizeof msg,
                    "the Fréchet distance came out negative (%.6g), beyond the round-off tolerance %.3g (1e-5 x "
                    "(tr sigma1 + tr sigma2)): the statistics are not valid covariances",
                    res.distance, tol);
      throw std::runtime_error(msg);
    }
    res.distance = 0;
    res.clamped = true;
  }
  return res;
}

}  // namespace gm
