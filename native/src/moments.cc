#include "moments.h"

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gemm.h"
#include "parallel.h"
#include "scratch.h"

namespace gm {
namespace {

using MatD = Eigen::MatrixXd;

// Products are formed and summed in float64 (for float32 input, x - s is exact in float64).
// Float32 products were tried and rejected: with fewer samples than dimensions their
// ~1e-7 rounding lifts the covariance's null-space eigenvalues from ~1e-16 to ~1e-7, and the
// square roots in the Fréchet distance turn that into a 3e-5 relative error.
constexpr int64_t kChunkRows = 1024;
constexpr int kColBlock = 256;

}  // namespace

RunningMoments::RunningMoments(int dims) : dims_(dims) {
  if (dims <= 0) throw std::invalid_argument("dimension must be positive");
  shift_.assign(dims, 0.0);
  sum_.assign(dims, 0.0);
  outer_ = HugeArray(static_cast<size_t>(dims) * dims);
}

void RunningMoments::update(const float* data, int64_t rows, int threads, int64_t rowOffset) {
  updateImpl(data, rows, threads, rowOffset);
}
void RunningMoments::update(const double* data, int64_t rows, int threads, int64_t rowOffset) {
  updateImpl(data, rows, threads, rowOffset);
}

template <typename T>
void RunningMoments::updateImpl(const T* data, int64_t rows, int threads, int64_t rowOffset) {
  if (rows <= 0) return;
  const int D = dims_;
  // Validate the whole batch before touching the state, so a bad batch leaves it unchanged.
  std::atomic<bool> bad{false};
  const long rowBlocks = static_cast<long>((rows + 255) / 256);
  parallelFor(rowBlocks, threads, [&](long b) {
    const int64_t end = std::min<int64_t>(rows, (b + 1) * 256) * D;
    for (int64_t i = b * 256 * D; i < end; ++i)
      if (!std::isfinite(data[i])) {
        bad = true;
        return;
      }
  });
  if (bad) {
    for (int64_t i = 0; i < rows * D; ++i)
      if (!std::isfinite(data[i]))
        throw std::invalid_argument("non-finite value (NaN or Inf) at row " + std::to_string(rowOffset + i / D) +
                                    ", column " + std::to_string(i % D));
  }

  if (n_ == 0) {
    // Shift: the mean of the first rows, rounded to float32 (for float32 input, x - s is then
    // exact). Any value near the mean keeps the sums free of cancellation. Columns in blocks, so
    // that each column's sum keeps one order whatever the thread count.
    const int64_t head = std::min<int64_t>(rows, kChunkRows);
    parallelFor((D + kColBlock - 1) / kColBlock, threads, [&](long b) {
      const int c0 = static_cast<int>(b * kColBlock), c1 = std::min(D, static_cast<int>((b + 1) * kColBlock));
      std::vector<double> m(c1 - c0, 0.0);
      for (int64_t r = 0; r < head; ++r)
        for (int c = c0; c < c1; ++c) m[c - c0] += data[r * D + c];
      for (int c = c0; c < c1; ++c) shift_[c] = static_cast<float>(m[c - c0] / static_cast<double>(head));
    });
  }

  // S1 += sum (y - s) and S2 += sum (y - s)(y - s)^T on the lower triangle, chunk by chunk.
  for (int64_t r0 = 0; r0 < rows; r0 += kChunkRows)
    centredRankUpdate(data + r0 * D, std::min<int64_t>(kChunkRows, rows - r0), D, shift_.data(), sum_.data(), outer_.data(), D, threads);
  n_ += rows;
}

void RunningMoments::symmetrize() const {
  const int D = dims_;
  for (int j = 0; j < D; ++j)
    for (int i = j + 1; i < D; ++i) outer_.data()[static_cast<size_t>(i) * D + j] = outer_.data()[static_cast<size_t>(j) * D + i];
}

std::vector<double> RunningMoments::sumOuter() const {
  symmetrize();
  return std::vector<double>(outer_.data(), outer_.data() + outer_.size());
}

void RunningMoments::setState(int64_t n, const double* shift, const double* sum, const double* sumOuter) {
  if (n < 0) throw std::invalid_argument("sample count must be non-negative");
  const size_t D = dims_;
  n_ = n;
  shift_.assign(shift, shift + D);
  sum_.assign(sum, sum + D);
  std::copy(sumOuter, sumOuter + D * D, outer_.data());
  for (size_t i = 0; i < D * D; ++i)
    if (!std::isfinite(outer_.data()[i])) throw std::invalid_argument("sum_outer contains NaN or Inf");
  for (size_t i = 0; i < D; ++i)
    if (!std::isfinite(shift_[i]) || !std::isfinite(sum_[i]))
      throw std::invalid_argument("shift/sum contain NaN or Inf");
}

void RunningMoments::merge(const RunningMoments& other) {
  if (other.dims_ != dims_)
    throw std::invalid_argument("cannot merge statistics of dimension " + std::to_string(other.dims_) +
                                " into dimension " + std::to_string(dims_));
  if (other.n_ == 0) return;
  if (n_ == 0) {
    n_ = other.n_;
    shift_ = other.shift_;
    sum_ = other.sum_;
    std::copy(other.outer_.data(), other.outer_.data() + outer_.size(), outer_.data());
    return;
  }
  // Re-centre the other state on our shift: with d = s_o - s,
  // sum (x - s)(x - s)^T = S2_o + d S1_o^T + S1_o d^T + n_o d d^T and sum (x - s) = S1_o + n_o d.
  const int D = dims_;
  const double no = static_cast<double>(other.n_);
  Eigen::Map<const Eigen::VectorXd> so(other.shift_.data(), D), s(shift_.data(), D), s1o(other.sum_.data(), D);
  Eigen::VectorXd d = so - s;
  Eigen::Map<MatD> acc(outer_.data(), D, D);
  Eigen::Map<const MatD> acco(other.outer_.data(), D, D);
  acc.triangularView<Eigen::Lower>() += acco;
  acc.triangularView<Eigen::Lower>() += d * s1o.transpose() + s1o * d.transpose() + no * d * d.transpose();
  Eigen::Map<Eigen::VectorXd> s1(sum_.data(), D);
  s1 += s1o + no * d;
  n_ += other.n_;
}

void RunningMoments::finalize(double* mean, double* cov, int threads) const {
  if (n_ < 2) throw std::invalid_argument("need at least 2 samples for a covariance, got " + std::to_string(n_));
  const int D = dims_;
  const double n = static_cast<double>(n_);
  for (int c = 0; c < D; ++c) mean[c] = shift_[c] + sum_[c] / n;
  // cov = (S2 - S1 S1^T / n) / (n - 1), np.cov's ddof = 1. Tiles of 64 x 64 on and below the
  // diagonal, each written with its mirror, so the transposed writes stay in cache.
  constexpr int kTile = 64;
  const long tiles = (D + kTile - 1) / kTile;
  parallelFor(tiles, threads, [&](long tj) {
    const int j0 = static_cast<int>(tj * kTile), j1 = std::min(D, j0 + kTile);
    for (int i0 = j0; i0 < D; i0 += kTile) {
      const int i1 = std::min(D, i0 + kTile);
      for (int j = j0; j < j1; ++j) {
        for (int i = std::max(i0, j); i < i1; ++i) {
          const double v = (outer_.data()[static_cast<size_t>(j) * D + i] - sum_[i] * sum_[j] / n) / (n - 1.0);
          cov[static_cast<size_t>(j) * D + i] = v;
          cov[static_cast<size_t>(i) * D + j] = v;
        }
      }
    }
  });
}

}  // namespace gm
