// k-means (Lloyd's algorithm) with k-means++ seeding (Arthur & Vassilvitskii 2007) in its greedy
// form (2 + ln k local trials per centre, as scikit-learn), several seeded restarts, the best by
// inertia. Distances come from the packed GEMM (|x|^2 + |c|^2 - 2 x.c) over row blocks in
// parallel; centres and sums are float64. Deterministic for a seed at any thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "pairwise.h"

namespace gm {

struct KMeansOptions {
  int64_t k = 8;
  int restarts = 10;
  int maxIter = 300;
  // Stop when the squared centre shift summed over centres is <= tol * mean per-feature variance.
  double tol = 1e-4;
  uint64_t seed = 0;
  int threads = 0;
  ProgressFn progress;  // (restarts done, restarts)
};

struct KMeansResult {
  std::vector<int32_t> labels;
  std::vector<double> centres;  // k x d
  double inertia = 0;           // sum of squared distances to the assigned centres
  int iterations = 0;           // of the best restart
  int restart = 0;              // which restart was best
};

KMeansResult kmeans(const Rows& x, const KMeansOptions& o);

}  // namespace gm
