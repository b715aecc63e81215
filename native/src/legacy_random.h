// Legacy NumPy RandomState draws in native code, for the long runs of them that KID's subsets take.
#pragma once
#include <cstdint>

namespace gm {

// For q = 0 .. count - 1 in turn, the first `take` entries of RandomState(seed).permutation(sizes[q])
// (what legacy choice(sizes[q], take, replace=False) returns), all from one stream, into
// out[q * take, (q + 1) * take). take <= every size.
void legacyChoices(uint32_t seed, const int64_t* sizes, int64_t count, int64_t take, uint32_t* out);

}  // namespace gm
