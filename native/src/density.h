// Tile passes for kernel sums that keep per-row state: the Parzen-window log-sums (Breuleux et
// al. 2011) and the dense Gram matrix of a small set (the kernels Vendi applies entry by entry).
#pragma once
#include <vector>

#include "pairwise.h"

namespace gm {

// For each test row i and each scale s (= 1 / (2 sigma^2)): log sum_j exp(-s |x_i - mu_j|^2) over
// the sample rows mu_j, as a log-sum-exp around the row's smallest squared distance (the largest
// exponent, as the reference's log_mean_exp subtracts its row max), so no term under- or
// overflows. Row-major test.n x scales.size(). Float64 distances.
std::vector<double> parzenLogSums(const Rows& test, const Rows& samples, const std::vector<double>& scales, const PairwiseOptions& o);

// The n x n matrix of inner products <x_i, x_j> (row-major, symmetric), from the symmetric tiles.
std::vector<double> gramMatrix(const Rows& x, const PairwiseOptions& o);

}  // namespace gm
