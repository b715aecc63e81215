// Log-likelihoods of data under a VAE decoder's output, per sample, in float64: the inner sums of
// the IWAE bound (Burda et al. 2016) and of the ELBO (Kingma & Welling 2014).
#pragma once
#include <cstdint>

namespace gm {

enum class Likelihood { Bernoulli, Gaussian };

struct DecodedBatch {
  const float* out;      // samples x d: Bernoulli logits, or Gaussian means
  const float* logvar;   // samples x d Gaussian log-variances, or null (then fixedLogvar)
  double fixedLogvar;
  int64_t samples;
  int64_t perPoint;      // consecutive samples per data point
  int64_t firstPoint;    // data point of sample 0
};

// dst[s] = sum_j log p(x[p(s), j] | decoded row s), p(s) = firstPoint + s / perPoint; x is points x d.
// Bernoulli: x l - softplus(l) (stable form); Gaussian: -(log 2 pi + lv + (x - m)^2 e^-lv) / 2.
void logLikelihoods(const float* x, int64_t d, const DecodedBatch& b, Likelihood kind, double* dst, int threads);

}  // namespace gm
