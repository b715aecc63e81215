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
  // Per ball set: for each real sample, the number of fakes inside its own ball (coverage: > 0,
  // i.e. its nearest fake is inside).
  std::vector<std::vector<uint32_t>> realCovered;
  // Pairs whose float32 decision was re-checked in float64 (0 in float64).
  int64_t rechecked = 0;
};

// Distances are compared after the square root, as the references compare them. With
// o.precision Float32 the distances come from float32 products, and every membership whose
// squared distance lies within the float32 error bound of the squared radius is decided again from
// the float64 distance, computed bit for bit as the Float64 pass computes it: the counts are those
// of the Float64 pass exactly.
BallCounts countBalls(const Rows& real, const Rows& fake, const std::vector<BallSet>& sets, const PairwiseOptions& o);

// Realism scores (Kynkäänniemi et al. 2019, sec. 5): for each fake, max over reals i with a radius
// (NaN: left out) of r_i / (d + eps), d the squared distance when `squared` (r squared too) else
// the distance; and whether some real ball holds it (d <= r_i). One pass over the tiles.
struct Realism {
  std::vector<double> score;
  std::vector<uint8_t> inside;
};
Realism realismScores(const Rows& real, const Rows& fake, const double* radii, bool squared, double eps, const PairwiseOptions& o);

}  // namespace gm
