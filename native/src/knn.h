// k-th nearest-neighbour distances within a set (the radii of the k-NN balls of improved
// precision/recall, Kynkäänniemi et al. 2019, and density/coverage, Naeem et al. 2020).
#pragma once
#include <vector>

#include "pairwise.h"

namespace gm {

// For each k in ks: the distance of every row to its k-th nearest neighbour in the set, not
// counting the row itself, i.e. the (k+1)-th smallest distance with the row's own (zero) distance
// included, as both torch-fidelity (kthvalue(k + 1)) and prdc (argpartition, k + 1) take it.
// Duplicated rows are neighbours at distance 0. Requires k + 1 <= x.n.
std::vector<std::vector<double>> neighbourRadii(const Rows& x, const std::vector<int>& ks, const PairwiseOptions& o);

// The k nearest rows of b to every row of a (a.n x k, ascending distance, ties by index; fewer
// than k when b has fewer rows: index -1, distance +inf), exact: a float32 pass keeps a few extra
// candidates whose float64 distances decide, rows it cannot decide run again in float64.
struct Neighbours {
  int k = 0;
  std::vector<int64_t> index;
  std::vector<double> distance;
};
Neighbours nearestNeighbours(const Rows& a, const Rows& b, int k, const PairwiseOptions& o);

}  // namespace gm
