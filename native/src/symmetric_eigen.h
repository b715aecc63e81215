// Eigenvalues (only) of a dense symmetric matrix: Householder tridiagonalisation followed by
// the implicit symmetric QR iteration on the tridiagonal matrix.
#pragma once
#include <Eigen/Core>

namespace gm {

// m: symmetric; only its lower triangle is read. It is overwritten.
Eigen::VectorXd symmetricEigenvalues(Eigen::MatrixXd& m, int threads);

}  // namespace gm
