#include "scratch.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif
#ifdef _WIN32
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace gm {
namespace {

struct Idle {
  double* data;
  size_t capacity;
};

struct Pool {
  std::mutex lock;
  std::vector<Idle> idle;
  size_t idleBytes = 0;
  size_t capBytes;
  Pool() {
    const char* env = std::getenv("GENMETRICS_SCRATCH_MB");
    capBytes = static_cast<size_t>(env ? std::max(0L, std::atol(env)) : 512L) << 20;
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: threads may still return buffers at exit
  return *p;
}

void* alignedAlloc(size_t align, size_t bytes) {
#ifdef _WIN32
  return _aligned_malloc(bytes, align);
#else
  return std::aligned_alloc(align, bytes);
#endif
}

void alignedFree(void* p) {
#ifdef _WIN32
  _aligned_free(p);
#else
  std::free(p);
#endif
}

double* allocate(size_t count) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t bytes = std::max<size_t>(64, (count * sizeof(double) + 63) / 64 * 64);
  const size_t align = bytes >= 2 * kHuge ? kHuge : 64;
  void* p = alignedAlloc(align, (bytes + align - 1) / align * align);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (align == kHuge) madvise(p, bytes, MADV_HUGEPAGE);  // fewer faults and TLB misses; a hint only
#endif
  return static_cast<double*>(p);
}

// An idle buffer of at least `count` doubles (the smallest that fits, unless it is wastefully
// large), or a new one; `count` becomes its capacity.
double* take(size_t& count) {
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> g(p.lock);
    auto best = p.idle.end();
    for (auto it = p.idle.begin(); it != p.idle.end(); ++it)
      if (it->capacity >= count && it->capacity <= 2 * count + 4096 &&
          (best == p.idle.end() || it->capacity < best->capacity))
        best = it;
    if (best != p.idle.end()) {
      double* data = best->data;
      count = best->capacity;
      p.idleBytes -= count * sizeof(double);
      p.idle.erase(best);
      return data;
    }
  }
  return allocate(count);
}

// Back to the idle list; over the cap, the oldest idle buffers are freed first. A buffer of more
// than a quarter of the cap (a whole feature file) is freed at once rather than kept idle.
void give(double* data, size_t capacity) {
  Pool& p = pool();
  std::vector<double*> release;
  if (capacity * sizeof(double) > p.capBytes / 4) {
    alignedFree(data);
    return;
  }
  {
    std::lock_guard<std::mutex> g(p.lock);
    p.idle.push_back({data, capacity});
    p.idleBytes += capacity * sizeof(double);
    while (p.idleBytes > p.capBytes && !p.idle.empty()) {
      release.push_back(p.idle.front().data);
      p.idleBytes -= p.idle.front().capacity * sizeof(double);
      p.idle.erase(p.idle.begin());
    }
  }
  for (double* d : release) alignedFree(d);
}

}  // namespace

Scratch::Scratch(size_t count) : data_(nullptr), capacity_(std::max<size_t>(count, 1)) { data_ = take(capacity_); }

Scratch::~Scratch() { give(data_, capacity_); }

HugeArray::HugeArray(size_t count, bool zero) : size_(count), capacity_(std::max<size_t>(count, 1)) {
  data_ = take(capacity_);
  if (zero) std::fill(data_, data_ + count, 0.0);
}

HugeArray& HugeArray::operator=(HugeArray&& o) noexcept {
  if (this != &o) {
    release(data_, capacity_);
    data_ = o.data_, size_ = o.size_, capacity_ = o.capacity_;
    o.data_ = nullptr, o.size_ = 0, o.capacity_ = 0;
  }
  return *this;
}

HugeArray::~HugeArray() { release(data_, capacity_); }

void HugeArray::release(double* p, size_t capacity) {
  if (p) give(p, capacity);
}

}  // namespace gm
