// Reusable scratch memory for the numerical kernels.
//
// Large temporaries (copies of 2048 x 2048 matrices, centred feature chunks) are taken from a
// process-wide pool and handed back, instead of being allocated per call: first touches of fresh
// pages cost more than the arithmetic on them on some virtual machines (measured here: 2.7 ms per
// MiB, so 0.18 s for the three 2048^2 float64 temporaries of one Fréchet distance). Idle buffers
// are kept up to a cap (GENMETRICS_SCRATCH_MB, default 512) and freed beyond it.
#pragma once
#include <cstddef>

namespace gm {

class Scratch {
 public:
  // At least `count` doubles, 64-byte aligned; contents are unspecified.
  explicit Scratch(size_t count);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  double* data() const { return data_; }

 private:
  double* data_;
  size_t capacity_;
};

}  // namespace gm
