// Kernel sums for the maximum mean discrepancy (Gretton et al. 2012) and KID (Bińkowski et al.
// 2018): the sums of K over X x X, Y x Y and X x Y and their diagonals, from which every MMD^2
// estimator (biased, unbiased, U-statistic) follows. Streamed over tiles, never n x m.
#pragma once
#include <cstdint>
#include <vector>

#include "pairwise.h"

namespace gm {

struct KernelSpec {
  enum Kind { Poly, Rbf } kind = Poly;
  double degree = 3, gamma = 0, coef0 = 1;  // poly: (gamma x.y + coef0)^degree
  double sigma = 10;                        // rbf: exp(-|x - y|^2 / (2 sigma^2))
};

struct KernelSums {
  double xx = 0, xxDiag = 0;  // sum of K(x_i, x_j) over all i, j; over i = j
  double yy = 0, yyDiag = 0;
  double xy = 0, xyDiag = 0;  // xyDiag: sum of K(x_i, y_i), i < min(nx, ny)
};

KernelSums kernelSums(const Rows& x, const Rows& y, const KernelSpec& k, const PairwiseOptions& o);

// KID's subsets: subset s is rows idxX[s*m .. s*m+m) of x against rows idxY[s*m ..) of y. The
// subsets run in parallel, each on one thread as one 2m x 2m product (o.tile is not used); with
// o.dense, when the subsets cover the rows densely, K over X x X, Y x Y (lower triangles) and
// X x Y is computed once, tiled, in float64, and each subset's sums gather from it: (nx + ny)^2 d
// instead of subsets x 4 m^2 d multiply-adds, at 8 (nx^2/2 + ny^2/2 + nx ny) bytes of memory.
std::vector<KernelSums> kernelSumsSubsets(const Rows& x, const Rows& y, const uint32_t* idxX, const uint32_t* idxY,
                                          int64_t subsets, int64_t m, const KernelSpec& k, const PairwiseOptions& o);

}  // namespace gm
