#include "cholesky.h"

#include <Eigen/Cholesky>
#include <algorithm>

#include "gemm.h"
#include "parallel.h"

namespace gm {

bool choleskyLower(double* a, int64_t n, int threads) {
  constexpr int64_t nb = 192;
  using MatD = Eigen::MatrixXd;
  using Stride = Eigen::OuterStride<>;
  for (int64_t k = 0; k < n; k += nb) {
    const int64_t kb = std::min(nb, n - k), rest = n - k - kb;
    Eigen::Map<MatD, 0, Stride> d(a + k * n + k, kb, kb, Stride(n));
    Eigen::LLT<Eigen::Ref<MatD, 0, Stride>> llt(d);
    if (llt.info() != Eigen::Success) return false;
    if (rest == 0) break;
    // Panel: L21 = A21 L11^-T, independent row blocks.
    const long blocks = static_cast<long>((rest + 127) / 128);
    parallelFor(blocks, threads, [&](long b) {
      const int64_t r0 = k + kb + b * 128, rows = std::min<int64_t>(128, n - r0);
      Eigen::Map<MatD, 0, Stride> p(a + k * n + r0, rows, kb, Stride(n));
      d.triangularView<Eigen::Lower>().transpose().solveInPlace<Eigen::OnTheRight>(p);
    });
    // Trailing: A22 -= L21 L21^T (lower triangle).
    const double* l21 = a + k * n + k + kb;
    gemm(rest, rest, kb, -1.0, colMajor(l21, n), colMajor(l21, n).t(), a + (k + kb) * n + k + kb, n, Part::Lower,
         threads);
  }
  for (int64_t j = 1; j < n; ++j) std::fill(a + j * n, a + j * n + j, 0.0);
  return true;
}

}  // namespace gm
