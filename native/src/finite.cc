#include "finite.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>

#include "parallel.h"

namespace gm {
namespace {

constexpr int64_t kBlock = 1 << 16;

// A value is NaN or Inf exactly when its exponent bits are all ones.
template <class T, class U>
bool blockFinite(const T* p, int64_t n) {
  constexpr U exp = static_cast<U>(std::is_same<T, float>::value ? 0x7f800000ull : 0x7ff0000000000000ull);
  U bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    U bits;
    std::memcpy(&bits, p + i, sizeof bits);
    bad |= static_cast<U>((bits & exp) == exp);
  }
  return bad == 0;
}

template <class T, class U>
int64_t scan(const T* data, int64_t count, int threads) {
  const long blocks = static_cast<long>((count + kBlock - 1) / kBlock);
  std::atomic<long> first{blocks};
  parallelFor(blocks, threads, [&](long b) {
    if (b >= first.load(std::memory_order_relaxed)) return;
    const int64_t i0 = b * kBlock, n = std::min(kBlock, count - i0);
    if (blockFinite<T, U>(data + i0, n)) return;
    long seen = first.load();
    while (b < seen && !first.compare_exchange_weak(seen, b)) {
    }
  });
  if (first.load() == blocks) return -1;
  const int64_t i0 = first.load() * kBlock, end = std::min(count, i0 + kBlock);
  for (int64_t i = i0; i < end; ++i)
    if (!blockFinite<T, U>(data + i, 1)) return i;
  return -1;
}

}  // namespace

int64_t firstNonFinite(const float* data, int64_t count, int threads) { return scan<float, uint32_t>(data, count, threads); }
int64_t firstNonFinite(const double* data, int64_t count, int threads) { return scan<double, uint64_t>(data, count, threads); }

}  // namespace gm
