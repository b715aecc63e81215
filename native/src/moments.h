// Streaming first and second moments of feature vectors, in float64.
//
// State is (n, shift s, S1 = sum(x - s), S2 = sum((x - s)(x - s)^T)). The shift is the mean of the
// first batch's first 1024 rows, rounded to float32; centring on it keeps S2 free of the cancellation that raw
// moments (sum x x^T - n mu mu^T) suffer. Two states merge exactly by re-expressing one around
// the other's shift (pure float64 algebra), so shards can be reduced in any order.
#pragma once
#include <cstdint>
#include <vector>

#include "scratch.h"

namespace gm {

class RunningMoments {
 public:
  explicit RunningMoments(int dims);

  int dims() const { return dims_; }
  int64_t count() const { return n_; }

  // Adds `rows` feature vectors stored row-major (rows x dims). Throws on NaN/Inf, naming the
  // row as rowOffset + its index in this batch.
  void update(const float* data, int64_t rows, int threads, int64_t rowOffset = 0);
  void update(const double* data, int64_t rows, int threads, int64_t rowOffset = 0);
  // Adds another accumulator of the same dimension.
  void merge(const RunningMoments& other);

  // Raw state, for the partial-statistics file format. S2 is returned as a full symmetric matrix.
  const std::vector<double>& shift() const { return shift_; }
  const std::vector<double>& sum() const { return sum_; }
  std::vector<double> sumOuter() const;
  void setState(int64_t n, const double* shift, const double* sum, const double* sumOuter);

  // Mean and covariance with ddof = 1 (np.cov), into caller-owned mean[dims], cov[dims * dims];
  // needs n >= 2.
  void finalize(double* mean, double* cov, int threads = 0) const;

 private:
  template <typename T>
  void updateImpl(const T* data, int64_t rows, int threads, int64_t rowOffset);
  void symmetrize() const;
  int dims_;
  int64_t n_ = 0;
  std::vector<double> shift_;
  std::vector<double> sum_;
  // Lower triangle is authoritative (column-major dims x dims); upper is filled on demand.
  mutable HugeArray outer_;
};

}  // namespace gm
