#include "vae.h"

#include <algorithm>
#include <cmath>

#include "parallel.h"

namespace gm {

void logLikelihoods(const float* x, int64_t d, const DecodedBatch& b, Likelihood kind, double* dst, int threads) {
  constexpr double kLog2Pi = 1.8378770664093454835606594728112;
  const int64_t block = 256;
  const int64_t blocks = (b.samples + block - 1) / block;
  parallelFor(blocks, threads, [&](long q) {
    const int64_t s0 = q * block, s1 = std::min(b.samples, s0 + block);
    for (int64_t s = s0; s < s1; ++s) {
      const float* xr = x + (b.firstPoint + s / b.perPoint) * d;
      const float* o = b.out + s * d;
      double sum = 0;
      if (kind == Likelihood::Bernoulli) {
        for (int64_t j = 0; j < d; ++j) {
          const double l = o[j];
          sum += xr[j] * l - (std::max(l, 0.0) + std::log1p(std::exp(-std::fabs(l))));
        }
      } else {
        const float* lv = b.logvar ? b.logvar + s * d : nullptr;
        for (int64_t j = 0; j < d; ++j) {
          const double v = lv ? static_cast<double>(lv[j]) : b.fixedLogvar;
          const double e = static_cast<double>(xr[j]) - o[j];
          sum += -0.5 * (kLog2Pi + v + e * e * std::exp(-v));
        }
      }
      dst[s] = sum;
    }
  });
}

}  // namespace gm
