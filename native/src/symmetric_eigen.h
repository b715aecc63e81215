// Eigenvalues (only) of a dense symmetric matrix: two-stage Householder tridiagonalisation
// (dense -> band -> tridiagonal, at GEMM speed) followed by the root-free QL/QR iteration on the
// tridiagonal matrix (as LAPACK dsterf, which numpy's eigvalsh also ends with).
#pragma once
#include <Eigen/Core>

namespace gm {

// m: symmetric; only its lower triangle is read. It is overwritten.
Eigen::VectorXd symmetricEigenvalues(Eigen::Ref<Eigen::MatrixXd> m, int threads);

}  // namespace gm
