// Eigenvalues (only) of a dense symmetric matrix: Householder tridiagonalisation followed by
// the implicit symmetric QR iteration on the tridiagonal matrix.
//
// TwoStage (dense -> band -> tridiagonal) runs at GEMM speed and is the default. OneStage is
// the classic column-by-column reduction (as LAPACK dsytrd, behind numpy's eigh/eigvalsh): it is
// for rank-deficient matrices whose round-off eigenvalues matter to the caller, because it leaves
// round-off of the same size as the reference tools do.
#pragma once
#include <Eigen/Core>

namespace gm {

enum class Tridiagonal { TwoStage, OneStage };

// m: symmetric; only its lower triangle is read. It is overwritten.
Eigen::VectorXd symmetricEigenvalues(Eigen::Ref<Eigen::MatrixXd> m, int threads, Tridiagonal method = Tridiagonal::TwoStage);

}  // namespace gm
