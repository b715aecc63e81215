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

// An owned array of doubles (zero-filled unless asked not to), 2 MiB-aligned and marked for transparent huge pages
// when it is large: a 2048^2 float64 matrix then costs 16 page faults to touch instead of 8192. It
// comes from the same pool as Scratch and goes back to it when released (a covariance accumulator
// or result handed to JavaScript, freed when collected), so a process that computes statistics
// again and again reuses touched pages.
class HugeArray {
 public:
  HugeArray() = default;
  explicit HugeArray(size_t count, bool zero = true);
  HugeArray(HugeArray&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr, o.size_ = 0, o.capacity_ = 0;
  }
  HugeArray& operator=(HugeArray&& o) noexcept;
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;
  ~HugeArray();
  double* data() const { return data_; }
  size_t size() const { return size_; }
  // The doubles the memory holds (at least size()): what release() needs back.
  size_t capacity() const { return capacity_; }
  double& operator[](size_t i) const { return data_[i]; }
  // Hands the memory to the caller, who returns it with HugeArray::release(p, capacity()).
  double* detach() {
    double* p = data_;
    data_ = nullptr, size_ = 0, capacity_ = 0;
    return p;
  }
  static void release(double* p, size_t capacity);

 private:
  double* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace gm
