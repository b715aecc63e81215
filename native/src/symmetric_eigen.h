// Eigenvalues (only) of a dense symmetric matrix: two-stage Householder tridiagonalisation
// (dense -> band -> tridiagonal, at GEMM speed) followed by the root-free QL/QR iteration on the
// tridiagonal matrix (as LAPACK dsterf, which numpy's eigvalsh also ends with).
#pragma once
#include <Eigen/Core>

namespace gm {

// m: symmetric; only its lower triangle is read. It is overwritten.
Eigen::VectorXd symmetricEigenvalues(Eigen::Ref<Eigen::MatrixXd> m, int threads);

// The `top` largest eigenvalues (descending) and their unit eigenvectors (the columns of
// `vectors`, n x top) of a symmetric matrix, whole lower triangle read (Eigen's
// SelfAdjointEigenSolver: Householder tridiagonalisation and implicit QL with accumulation).
void symmetricTopEigen(const Eigen::Ref<const Eigen::MatrixXd>& m, int top, Eigen::VectorXd& values, Eigen::MatrixXd& vectors);

}  // namespace gm
