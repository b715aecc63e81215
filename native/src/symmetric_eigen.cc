#include "symmetric_eigen.h"

#include <Eigen/Eigenvalues>
#include <stdexcept>

namespace gm {

Eigen::VectorXd symmetricEigenvalues(Eigen::MatrixXd& m, int /*threads*/) {
  Eigen::Tridiagonalization<Eigen::MatrixXd> tri(m);
  Eigen::VectorXd diag = tri.diagonal();
  Eigen::VectorXd sub = tri.subDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(diag, sub, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw std::runtime_error("symmetric eigenvalue iteration did not converge");
  return es.eigenvalues();
}

}  // namespace gm
