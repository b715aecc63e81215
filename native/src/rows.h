// Rows of a feature matrix as the pairwise kernels read them: in place, float32 or float64,
// row-major, optionally through a list of row indices (KID's subsets).
#pragma once
#include <cstdint>
#include <vector>

namespace gm {

// Row r is row idx[r] of the source (row r when idx is null).
struct Rows {
  const float* f32 = nullptr;
  const double* f64 = nullptr;
  int64_t n = 0;  // rows of this set (the length of idx, when given)
  int64_t d = 0;  // columns
  const uint32_t* idx = nullptr;

  int64_t source(int64_t r) const { return idx ? static_cast<int64_t>(idx[r]) : r; }
  // Rows [r0, r0 + count) as float64, row-major, into dst (count x d).
  void toDouble(int64_t r0, int64_t count, double* dst) const;
  // Squared norms of all rows, in float64.
  std::vector<double> squaredNorms() const;
};

}  // namespace gm
