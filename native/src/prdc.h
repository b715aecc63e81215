// The cross pass of precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et
// al. 2020): one sweep over the real x fake distances counts, for every sample, the k-NN balls of
// the other set that contain it, and finds each real sample's nearest fake.
#pragma once
#include <cstdint>
#include <vector>

#include "pairwise.h"

namespace gm {

// A family of balls: radii of the real and of the fake samples (from neighbourRadii) and the
// membership test, strict (d < r, prdc) or not (d <= r, torch-fidelity and Kynkäänniemi).
struct BallSet {
  const double* realRadii;
  const double* fakeRadii;
  bool strict;
};

struct BallCounts {
  // Per ball set: for each fake sample, the number of real balls containing it (precision: > 0;
  // density: the sum over fakes / (k * fakes)).
  std::vector<std::vector<uint32_t>> fakeInReal;
  // Per ball set: for each real sample, the number of fake balls containing it (recall: > 0).
  std::vector<std::vector<uint32_t>> realInFake;
  // For each real sample, the distance to its nearest fake (coverage compares it with its radius).
  std::vector<double> nearestFake;
};

// Distances are compared after the square root, as the references compare them.
BallCounts countBalls(const Rows& real, const Rows& fake, const std::vector<BallSet>& sets, const PairwiseOptions& o);

}  // namespace gm
