#include "legacy_random.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace gm {

void legacyChoices(uint32_t seed, const int64_t* sizes, int64_t count, int64_t take, uint32_t* out) {
  // std::mt19937 seeded with one integer is MT19937 under init_genrand, as RandomState(seed) is; its
  // outputs are the same 32-bit words.
  std::mt19937 g(seed);
  std::vector<uint32_t> a;
  for (int64_t q = 0; q < count; ++q) {
    const int64_t n = sizes[q];
    a.resize(static_cast<size_t>(n));
    std::iota(a.begin(), a.end(), 0u);
    // Fisher-Yates from the end; each j uniform in [0, i] by masked rejection (legacy
    // random_interval), the mask the smallest 2^b - 1 >= i, narrowed as i falls.
    uint32_t mask = 0xffffffffu;
    for (int64_t i = n - 1; i > 0; --i) {
      while ((mask >> 1) >= static_cast<uint64_t>(i)) mask >>= 1;
      uint32_t j;
      do j = static_cast<uint32_t>(g()) & mask;
      while (j > static_cast<uint64_t>(i));
      std::swap(a[static_cast<size_t>(i)], a[j]);
    }
    std::copy(a.begin(), a.begin() + take, out + q * take);
  }
}

}  // namespace gm
