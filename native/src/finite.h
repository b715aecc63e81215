// Scanning feature data for NaN and Inf before any arithmetic touches it.
#pragma once
#include <cstdint>

namespace gm {

// The index of the first non-finite value of data[0 .. count), or -1 when all are finite. Blocks
// are scanned in parallel with a branch-free test on the exponent bits (vectorised).
int64_t firstNonFinite(const float* data, int64_t count, int threads);
int64_t firstNonFinite(const double* data, int64_t count, int threads);

}  // namespace gm
